/**
 * State-store benchmark (bench/state/README.md): one stream-processing-shaped workload on
 *   (a) RocksDbStore — our store on the `rocksdb` package 5.2.1 (RocksDB 6.17),
 *   (b) the same operations directly on `rocksdb-native` (holepunchto; RocksDB 10.x),
 *   (c) InMemoryStore.
 * Each store runs in its own child process, so that peak RSS is its own.
 *
 *   node --import tsx bench/state/storeBench.ts [--keys 100000] [--stores rocksdb,rocksdb-native,memory]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import RocksDB from 'rocksdb-native';

import type { BytesKeyValueStore } from '../../operators/state/keyValueStore.js';
import { InMemoryStore } from '../../operators/state/memory/inMemoryStore.js';
import { RocksDbStore } from '../../operators/state/rocksdb/rocksDbStore.js';
import { seededRandom } from '../../operators/support/seededRandom.js';

const storeNames = ['rocksdb', 'rocksdb-native', 'memory'] as const;
type StoreName = (typeof storeNames)[number];

const { values: options } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    stores: { type: 'string', default: storeNames.join(',') },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const keyCount = Number(options.keys.replaceAll('_', ''));
if (!Number.isSafeInteger(keyCount) || keyCount < 1_000) {
  throw new Error('--keys must be an integer >= 1000');
}

const VALUE_BYTES = 200;
const WRITE_BATCH = 1_000;
const SCAN_LENGTH = 100;
const reads = keyCount;
const readModifyWrites = Math.floor(keyCount / 2);
const scans = Math.floor(keyCount / 50);

/** What a phase measured: operations and seconds (ops/s = ops / seconds). */
interface Phase {
  readonly ops: number;
  readonly seconds: number;
}

interface ChildResult {
  readonly store: StoreName;
  readonly rocksDbOptions: string | undefined;
  readonly phases: Record<string, Phase>;
  readonly reopenMs: number | undefined;
  readonly diskBytes: number | undefined;
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
}

/** The operations the workload needs, implemented once per store. */
interface Target {
  writeBatch(entries: readonly (readonly [Buffer, Buffer])[]): Promise<void>;
  get(key: Buffer): Promise<Uint8Array | undefined>;
  put(key: Buffer, value: Buffer): Promise<void>;
  /** Reads up to `limit` entries from `start` on; returns how many it read. */
  scan(start: Buffer, limit: number): Promise<number>;
  close(): Promise<void>;
}

interface Opened {
  readonly target: Target;
  /** Closes and opens again (on disk only); resolves to the reopened target. */
  readonly reopen?: () => Promise<Target>;
}

function storeTarget(store: BytesKeyValueStore): Target {
  return {
    writeBatch: (entries) =>
      store.batch(entries.map(([key, value]) => ({ type: 'put', key, value }))),
    get: (key) => store.get(key),
    put: (key, value) => store.put(key, value),
    scan: async (start, limit) => {
      let read = 0;
      for await (const [, value] of store.range({ gte: start, limit })) {
        read += value.length === VALUE_BYTES ? 1 : 0;
      }
      return read;
    },
    close: () => store.close(),
  };
}

async function nativeTarget(path: string): Promise<Target> {
  const db = new RocksDB(path);
  await db.ready();
  return {
    writeBatch: async (entries) => {
      const batch = db.write({ capacity: entries.length, autoDestroy: true });
      for (const [key, value] of entries) {
        batch.tryPut(key, value);
      }
      await batch.flush();
    },
    get: async (key) => (await db.get(key)) ?? undefined,
    put: (key, value) => db.put(key, value),
    scan: async (start, limit) => {
      let read = 0;
      // capacity: entries per native call; the default (8) would take 13 calls for 100 entries.
      for await (const entry of db.iterator({ gte: start }, { limit, capacity: limit })) {
        read += entry.value.length === VALUE_BYTES ? 1 : 0;
      }
      return read;
    },
    close: () => db.close(),
  };
}

async function openStore(store: StoreName, path: string): Promise<Opened> {
  switch (store) {
    case 'rocksdb': {
      const first = storeTarget(await RocksDbStore.open(path));
      return {
        target: first,
        reopen: async () => {
          await first.close();
          return storeTarget(await RocksDbStore.open(path));
        },
      };
    }
    case 'rocksdb-native': {
      const first = await nativeTarget(path);
      return {
        target: first,
        reopen: async () => {
          await first.close();
          return nativeTarget(path);
        },
      };
    }
    case 'memory':
      return { target: storeTarget(new InMemoryStore()) };
  }
}

/** Key i: "user:" and i in 10 digits (15 bytes), like a serialized string key. */
function keyOf(i: number): Buffer {
  return Buffer.from(`user:${String(i).padStart(10, '0')}`);
}

/**
 * ~200-byte values shaped like a serialized record: an 8-byte counter, 92 random bytes (ids,
 * numbers) and 100 bytes of repetitive text (enum-like strings), so about half compresses.
 */
function valueOf(rng: () => number, counter = 0n): Buffer {
  const value = Buffer.alloc(VALUE_BYTES);
  value.writeBigUInt64BE(counter, 0);
  for (let i = 8; i < 100; i++) {
    value[i] = Math.floor(rng() * 256);
  }
  value.write('category=MUSIC;region=EU-WEST;device=ANDROID;'.repeat(3), 100, 100, 'latin1');
  return value;
}

async function timed(ops: number, body: () => Promise<void>): Promise<Phase> {
  const start = performance.now();
  await body();
  return { ops, seconds: (performance.now() - start) / 1000 };
}

function diskBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      total += statSync(join(entry.parentPath, entry.name)).size;
    }
  }
  return total;
}

/** RocksDB's version and default column family compression, from its latest OPTIONS file. */
function rocksDbOptions(path: string): string | undefined {
  const latest = readdirSync(path)
    .filter((name) => name.startsWith('OPTIONS-'))
    .sort()
    .at(-1);
  if (latest === undefined) {
    return undefined;
  }
  const text = readFileSync(join(path, latest), 'utf8');
  const version = /rocksdb_version=(\S+)/.exec(text)?.[1] ?? '?';
  const compression = /^\s*compression=k?(\S+?)(Compression)?$/m.exec(text)?.[1] ?? '?';
  return `${version}, ${compression}`;
}

async function runChild(store: StoreName, dir: string): Promise<ChildResult> {
  const baselineRssBytes = process.memoryUsage().rss;
  const path = join(dir, store);
  const rng = seededRandom(1);
  const opened = await openStore(store, path);
  let target = opened.target;
  const phases: Record<string, Phase> = {};

  // Batched writes, in a shuffled key order (partitioned keys arrive in no particular order).
  const order = Array.from({ length: keyCount }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  // (values are made outside the timed part: only the store calls count)
  let writeSeconds = 0;
  for (let i = 0; i < keyCount; i += WRITE_BATCH) {
    const batch = order.slice(i, i + WRITE_BATCH).map((k) => [keyOf(k), valueOf(rng)] as const);
    const start = performance.now();
    await target.writeBatch(batch);
    writeSeconds += (performance.now() - start) / 1000;
  }
  phases['batched writes'] = { ops: keyCount, seconds: writeSeconds };

  // Point reads, one at a time (as a processor awaits each lookup); 20 % of them miss.
  let missing = 0;
  phases['point reads (20% miss)'] = await timed(reads, async () => {
    for (let i = 0; i < reads; i++) {
      const miss = rng() < 0.2;
      const key = keyOf(
        miss ? keyCount + Math.floor(rng() * keyCount) : Math.floor(rng() * keyCount),
      );
      const value = await target.get(key);
      if (value === undefined) {
        missing++;
      } else if (miss || value.length !== VALUE_BYTES) {
        throw new Error(`${store}: unexpected value for ${key.toString()}`);
      }
    }
  });

  // Read-modify-write: the counter in the first 8 bytes, as an aggregation without a cache.
  const increments = new Uint32Array(keyCount);
  phases['read-modify-write'] = await timed(readModifyWrites, async () => {
    for (let i = 0; i < readModifyWrites; i++) {
      const k = Math.floor(rng() * keyCount);
      const key = keyOf(k);
      const current = await target.get(key);
      if (current === undefined) {
        throw new Error(`${store}: ${key.toString()} is missing`);
      }
      const next = Buffer.from(current);
      next.writeBigUInt64BE(next.readBigUInt64BE(0) + 1n, 0);
      await target.put(key, next);
      increments[k] = (increments[k] ?? 0) + 1;
    }
  });

  // Range scans of 100 entries from random existing keys.
  let scanned = 0;
  phases[`range scans (${SCAN_LENGTH} entries)`] = await timed(scans, async () => {
    for (let i = 0; i < scans; i++) {
      scanned += await target.scan(keyOf(Math.floor(rng() * keyCount)), SCAN_LENGTH);
    }
  });

  let reopenMs: number | undefined;
  if (opened.reopen !== undefined) {
    const start = performance.now();
    target = await opened.reopen();
    await target.get(keyOf(0)); // the first read after opening is part of being ready
    reopenMs = performance.now() - start;
  }

  // Check the counters survived (the reopen included): a sample of 2,000 keys.
  for (let k = 0; k < keyCount; k += Math.ceil(keyCount / 2_000)) {
    const value = await target.get(keyOf(k));
    if (
      value === undefined ||
      Buffer.from(value).readBigUInt64BE(0) !== BigInt(increments[k] ?? 0)
    ) {
      throw new Error(`${store}: counter of ${keyOf(k).toString()} is wrong after the run`);
    }
  }
  if (missing < reads * 0.15 || scanned < scans * SCAN_LENGTH * 0.9) {
    throw new Error(`${store}: implausible counts (missing ${missing}, scanned ${scanned})`);
  }
  await target.close();

  return {
    store,
    rocksDbOptions: store === 'memory' ? undefined : rocksDbOptions(path),
    phases,
    reopenMs,
    diskBytes: store === 'memory' ? undefined : diskBytes(path),
    baselineRssBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function runParent(): void {
  const stores = options.stores.split(',').map((name) => {
    const store = storeNames.find((candidate) => candidate === name.trim());
    if (store === undefined) {
      throw new Error(`unknown store ${name}; expected some of ${storeNames.join(', ')}`);
    }
    return store;
  });
  const dir = mkdtempSync(join(tmpdir(), 'reelstream-storebench-'));
  const results: ChildResult[] = [];
  try {
    for (const store of stores) {
      const start = performance.now();
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          import.meta.filename,
          '--child',
          store,
          '--dir',
          dir,
          '--keys',
          String(keyCount),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const line = child.stdout.trim().split('\n').at(-1) ?? '';
      if (child.status !== 0 || !line.startsWith('{')) {
        throw new Error(
          `${store} failed (exit ${String(child.status ?? child.signal)}): ${child.stdout}`,
        );
      }
      results.push(JSON.parse(line) as ChildResult);
      console.error(`${store}: done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(results);
}

function printTable(results: readonly ChildResult[]): void {
  const byStore = new Map(results.map((result) => [result.store, result]));
  const rocks = byStore.get('rocksdb');
  const native = byStore.get('rocksdb-native');
  const phaseNames = [...new Set(results.flatMap((result) => Object.keys(result.phases)))];
  const opsPerSecond = (result: ChildResult | undefined, phase: string): number | undefined => {
    const measured = result?.phases[phase];
    return measured === undefined ? undefined : measured.ops / measured.seconds;
  };
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`;
  const mib = (bytes: number | undefined): string =>
    bytes === undefined ? '—' : `${(bytes / 2 ** 20).toFixed(1)} MiB`;

  const header = ['', ...results.map((result) => result.store), 'rocksdb-native / rocksdb'];
  const rows: string[][] = [];
  for (const phase of phaseNames) {
    rows.push([
      `${phase} (ops/s)`,
      ...results.map((result) =>
        Math.round(opsPerSecond(result, phase) ?? 0).toLocaleString('en-US'),
      ),
      ratio(opsPerSecond(native, phase), opsPerSecond(rocks, phase)),
    ]);
  }
  rows.push([
    'reopen + first get (ms)',
    ...results.map((result) => (result.reopenMs === undefined ? '—' : result.reopenMs.toFixed(0))),
    // Lower is better here, so the ratio is inverted to keep "> 1 = rocksdb-native faster".
    ratio(rocks?.reopenMs, native?.reopenMs),
  ]);
  rows.push([
    'on-disk size after close',
    ...results.map((result) => mib(result.diskBytes)),
    ratio(native?.diskBytes, rocks?.diskBytes),
  ]);
  rows.push([
    'peak RSS (process)',
    ...results.map((result) => mib(result.peakRssBytes)),
    ratio(native?.peakRssBytes, rocks?.peakRssBytes),
  ]);
  rows.push([
    'RSS at start (process)',
    ...results.map((result) => mib(result.baselineRssBytes)),
    '',
  ]);
  rows.push([
    'RocksDB version, compression',
    ...results.map((result) => result.rocksDbOptions ?? '—'),
    '',
  ]);

  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  console.log(
    `\n${keyCount.toLocaleString('en-US')} keys × ${VALUE_BYTES}-byte values; ${reads.toLocaleString('en-US')} reads, ` +
      `${readModifyWrites.toLocaleString('en-US')} read-modify-writes, ${scans.toLocaleString('en-US')} scans\n`,
  );
  console.log(line(header));
  console.log(
    `|${widths.map((width, column) => (column === 0 ? `${'-'.repeat(width + 1)} ` : ` ${'-'.repeat(width)}:`)).join('|')}|`,
  );
  for (const row of rows) {
    console.log(line(row));
  }
  console.log(
    '\nratio: rocksdb-native ops/s ÷ rocksdb ops/s (> 1 = rocksdb-native faster); for reopen, ' +
      'rocksdb ms ÷ rocksdb-native ms; for size and RSS, rocksdb-native ÷ rocksdb (< 1 = smaller).',
  );
}

if (options.child === undefined) {
  runParent();
} else {
  const store = storeNames.find((candidate) => candidate === options.child);
  if (store === undefined || options.dir === undefined) {
    throw new Error('--child needs a store name and --dir');
  }
  console.log(JSON.stringify(await runChild(store, options.dir)));
}
