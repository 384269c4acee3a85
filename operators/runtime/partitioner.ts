/**
 * Kafka's default partitioner for keyed records: murmur2 of the key bytes, made positive,
 * modulo the partition count. Matches the Java client and kafkajs, so records partitioned here
 * (the test driver, routing of lookups) land where the brokers' producers put them.
 */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k =
      ((data[i] ?? 0) & 0xff) |
      (((data[i + 1] ?? 0) & 0xff) << 8) |
      (((data[i + 2] ?? 0) & 0xff) << 16) |
      (((data[i + 3] ?? 0) & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length % 4;
  if (tail === 3) {
    h ^= ((data[whole + 2] ?? 0) & 0xff) << 16;
  }
  if (tail >= 2) {
    h ^= ((data[whole + 1] ?? 0) & 0xff) << 8;
  }
  if (tail >= 1) {
    h ^= (data[whole] ?? 0) & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
