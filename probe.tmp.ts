import { RemoteStore, stringSerde, jsonSerde } from './operators/index.js';
const endpoint = process.argv[2]!;
const store = new RemoteStore({ endpoints: [endpoint], store: { name: 'user-features', key: stringSerde, value: jsonSerde<unknown>() }, timeoutMs: 3000 });
const lat: number[] = []; let errors = 0;
const end = Date.now() + 10_000;
while (Date.now() < end) {
  const t = performance.now();
  try { await store.get(`u-${Math.floor(Math.random() * 1000)}`); lat.push(performance.now() - t); } catch { errors++; }
  await new Promise((r) => setTimeout(r, 20));
}
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.floor(p * (lat.length - 1))]!.toFixed(1);
console.log(`n=${lat.length} errors=${errors} p50=${q(0.5)} p90=${q(0.9)} p99=${q(0.99)} max=${q(1)}`);
