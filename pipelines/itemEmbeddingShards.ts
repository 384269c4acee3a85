import {
  avroSerde,
  keyValueStore,
  nullable,
  stringSerde,
  vectorStore,
  type Operator,
  type Pipeline,
  type StoreDefinition,
  type VectorStore,
  type VectorStoreDefinition,
} from '../operators/index.js';
import { itemEmbeddingSchema, type ItemEmbedding } from '../schemas/generated/itemEmbedding.js';

/**
 * The compacted topic of item embeddings: key video id, value an {@link ItemEmbedding} (the
 * vector and the model version that made it), a null value when the video is gone.
 */
export const itemEmbeddingsTopic = 'embeddings.items';

export const itemEmbeddingSerdes = {
  key: stringSerde,
  value: nullable(avroSerde(itemEmbeddingSchema)),
};

/** The shards' stores: the vectors (with their FAISS index) and vector id → video id. */
export interface ItemShardStores {
  readonly vectors: VectorStoreDefinition;
  readonly videoIds: StoreDefinition<string, string>;
}

export interface ItemShardsOptions {
  /** The model version the shards hold; embeddings of any other version are not indexed. */
  readonly modelVersion: string;
  readonly dimension: number;
  /** FAISS factory string; default `Flat`. */
  readonly index?: string;
  /** How often the shards' indexes are snapshotted at commits (vectorStore's default: 30 s). */
  readonly snapshotIntervalMs?: number;
  /** Default {@link itemEmbeddingsTopic}. */
  readonly topic?: string;
  /** Default `item-vectors`; `<name>-video-ids` for the id map. */
  readonly storeName?: string;
  /** Called in each task's `init` with its shard (tests and metrics look into it). */
  readonly onShardOpen?: (shard: { taskId: string; vectors: VectorStore }) => void;
  /** Called after each record is applied (freshness probes: when a video became searchable). */
  readonly onApplied?: (event: { videoId: string; indexed: boolean; sourceTime?: number }) => void;
}

/**
 * The vector id of a video: 64-bit FNV-1a of its id's UTF-8 bytes, cut to 63 bits (vector ids
 * are non-negative int64s). Video ids are strings of several shapes (`v-12`, `ml-m12`,
 * `kv-12`), so a hash, not a parse; the id map store turns a search hit back into the video id.
 * Two videos of a million collide with probability ~5e-8.
 */
export function videoVectorId(videoId: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(videoId, 'utf8')) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  }
  return hash & 0x7fffffffffffffffn;
}

/**
 * Item vector shards: reads `embeddings.items` into a vector store, one shard per input
 * partition (the store's task), exactly-once when the job runs exactly-once. A shard holds,
 * per video, the vector of the latest embedding record when that record is of
 * `modelVersion`: a tombstone, or an embedding of another version, removes the video, so the
 * shard is a function of the topic's latest record per key (what compaction keeps) and never
 * holds a vector the topic no longer has. A new model version is indexed by another
 * instance of this pipeline (its own application id and stores), filled beside the old one.
 */
export function itemVectorShards(pipeline: Pipeline, options: ItemShardsOptions): ItemShardStores {
  const name = options.storeName ?? 'item-vectors';
  const stores: ItemShardStores = {
    vectors: vectorStore({
      name,
      dimension: options.dimension,
      ...(options.index === undefined ? {} : { index: options.index }),
      ...(options.snapshotIntervalMs === undefined
        ? {}
        : { snapshotIntervalMs: options.snapshotIntervalMs }),
    }),
    videoIds: keyValueStore({
      name: `${name}-video-ids`,
      key: stringSerde,
      value: stringSerde,
      changelog: true,
    }),
  };
  const apply: Operator<string, ItemEmbedding | null, never, never> = {
    init(ctx) {
      options.onShardOpen?.({ taskId: ctx.taskId, vectors: ctx.vectorStore(stores.vectors) });
    },
    process(record, ctx) {
      const videoId = record.key;
      const embedding = record.value;
      const id = videoVectorId(videoId);
      const vectors = ctx.vectorStore(stores.vectors);
      const videoIds = ctx.keyValueStore(stores.videoIds);
      if (embedding === null || embedding.modelVersion !== options.modelVersion) {
        vectors.delete(id);
        videoIds.delete(String(id));
        ctx.count(embedding === null ? 'embeddingsDeleted' : 'embeddingsOtherVersion');
        options.onApplied?.({ videoId, indexed: false });
        return;
      }
      vectors.upsert(id, Float32Array.from(embedding.vector), embedding.modelVersion);
      videoIds.put(String(id), videoId);
      options.onApplied?.({ videoId, indexed: true, sourceTime: embedding.sourceTime });
    },
  };
  pipeline.source(options.topic ?? itemEmbeddingsTopic, itemEmbeddingSerdes).process(() => apply, {
    name: 'index-item-embeddings',
    stores: [stores.vectors, stores.videoIds],
  });
  return stores;
}
