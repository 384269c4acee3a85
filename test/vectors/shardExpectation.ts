import type { ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import { videoVectorId } from '../../pipelines/itemEmbeddingShards.js';
import type { ShardDump } from './itemShardsProcess.js';

/** What a shard must hold: vector id (decimal) → the version and vector bytes (base64). */
export type ExpectedShard = Map<string, { readonly version: string; readonly vector: string }>;

/** One record of the embeddings topic as read with read_committed, value decoded. */
export interface CommittedEmbedding {
  readonly partition: number;
  readonly key: string;
  readonly value: ItemEmbedding | null;
}

/**
 * The shards the committed topic implies: per partition, the latest record per key, kept when
 * it is an embedding of `modelVersion` (a tombstone or another version removes the key).
 * `records` are in offset order per partition.
 */
export function expectedShards(
  records: readonly CommittedEmbedding[],
  modelVersion: string,
): Map<number, ExpectedShard> {
  const latest = new Map<number, Map<string, ItemEmbedding | null>>();
  for (const record of records) {
    let partition = latest.get(record.partition);
    if (partition === undefined) {
      partition = new Map();
      latest.set(record.partition, partition);
    }
    partition.set(record.key, record.value);
  }
  const shards = new Map<number, ExpectedShard>();
  for (const [partition, byKey] of latest) {
    const shard: ExpectedShard = new Map();
    for (const [key, value] of byKey) {
      if (value !== null && value.modelVersion === modelVersion) {
        const vector = Float32Array.from(value.vector);
        shard.set(String(videoVectorId(key)), {
          version: value.modelVersion,
          vector: Buffer.from(vector.buffer).toString('base64'),
        });
      }
    }
    shards.set(partition, shard);
  }
  return shards;
}

/** How a dumped shard differs from what it must hold. */
export interface ShardComparison {
  readonly task: string;
  readonly expected: number;
  readonly held: number;
  readonly missing: number;
  readonly extra: number;
  /** Held under the right id, but another version or other floats than the latest record's. */
  readonly stale: number;
  /** Stored vectors the index does not return as their own nearest neighbour (distance 0). */
  readonly notFoundInIndex: number;
  /** Ids an exhaustive index search returns that the store does not hold, and the reverse. */
  readonly indexExtra: number;
  readonly indexMissing: number;
  /** The vector store's own count against its store's entries. */
  readonly sizeMismatch: number;
}

export function compareShard(dump: ShardDump, expected: ExpectedShard): ShardComparison {
  const held = new Map(dump.entries.map((entry) => [entry.id, entry]));
  let missing = 0;
  let stale = 0;
  for (const [id, want] of expected) {
    const got = held.get(id);
    if (got === undefined) {
      missing += 1;
    } else if (got.version !== want.version || got.vector !== want.vector) {
      stale += 1;
    }
  }
  const extra = [...held.keys()].filter((id) => !expected.has(id)).length;
  const notFoundInIndex = dump.entries.filter(
    (entry) =>
      entry.nearestId !== entry.id ||
      entry.nearestDistance === null ||
      Math.abs(entry.nearestDistance) > 1e-4,
  ).length;
  const searchable = new Set(dump.searchable);
  return {
    task: dump.task,
    expected: expected.size,
    held: held.size,
    missing,
    extra,
    stale,
    notFoundInIndex,
    indexExtra: [...searchable].filter((id) => !held.has(id)).length,
    indexMissing: [...held.keys()].filter((id) => !searchable.has(id)).length,
    sizeMismatch: Math.abs(dump.stats.size - held.size),
  };
}

/** Whether the shard is exact: nothing missing, extra, stale, or wrong in its index. */
export function isExact(c: ShardComparison): boolean {
  return (
    c.missing +
      c.extra +
      c.stale +
      c.notFoundInIndex +
      c.indexExtra +
      c.indexMissing +
      c.sizeMismatch ===
    0
  );
}

export function formatComparison(c: ShardComparison): string {
  return (
    `shard ${c.task}: ${c.expected} committed embeddings, ${c.held} held: ` +
    `${c.missing} missing, ${c.extra} extra, ${c.stale} of a stale version; index: ` +
    `${c.notFoundInIndex} not found, ${c.indexExtra} extra, ${c.indexMissing} unsearchable, ` +
    `size off by ${c.sizeMismatch}`
  );
}
