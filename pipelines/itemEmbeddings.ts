import {
  avroSerde,
  keyValueStore,
  nullable,
  stringSerde,
  type Operator,
  type Pipeline,
} from '../operators/index.js';
import type { ItemEmbedding } from '../schemas/generated/itemEmbedding.js';
import { videoUploadSchema, type VideoUpload } from '../schemas/generated/videoUpload.js';
import { topics } from '../schemas/topics.js';
import { itemEmbeddingSerdes, itemEmbeddingsTopic } from './itemEmbeddingShards.js';

/**
 * A model's item tower as the embedding operator uses it: the job loads one (ONNX in a worker
 * pool, `jobs/embeddings/itemTower.ts`); tests may pass their own.
 */
export interface ItemTower {
  /** The model version every vector is tagged with (its manifest's `version`). */
  readonly version: string;
  readonly dimension: number;
  /** What the tower sees of a video, as text: videos with equal text get equal vectors. */
  inputsOf(video: VideoUpload): string;
  /** The video's vector (the tower's output row), computed off the event loop. */
  embed(video: VideoUpload): Promise<Float32Array>;
}

export interface ItemEmbeddingsOptions {
  /** Default `catalog.videos`. */
  readonly catalogTopic?: string;
  /** Default `embeddings.items`. */
  readonly outputTopic?: string;
  /** Default `item-embedding-inputs`. */
  readonly storeName?: string;
}

/**
 * Item embeddings as a stream: every new or changed video of the catalogue is run through the
 * item tower and written to `embeddings.items` (key video id; the vector, the model version,
 * and the catalogue record's eventTime for freshness). A catalogue record that changes nothing
 * the tower sees (tags, say), under the same model version, writes nothing: the store
 * `item-embedding-inputs` keeps, per video, the version and inputs its last vector came from.
 * A catalogue tombstone writes a tombstone. A new model version is run as another instance
 * of this pipeline (its own application id, so it reads the catalogue from the start and
 * re-embeds every video); the shards of each version hold only that version's vectors
 * (`itemEmbeddingShards.ts`), so a search never mixes two.
 */
export function itemEmbeddings(
  pipeline: Pipeline,
  tower: ItemTower,
  options: ItemEmbeddingsOptions = {},
): void {
  const inputs = keyValueStore({
    name: options.storeName ?? 'item-embedding-inputs',
    key: stringSerde,
    value: stringSerde,
    changelog: true,
  });
  const embed: Operator<string, VideoUpload | null, string, ItemEmbedding | null> = {
    async process(record, ctx) {
      const video = record.value;
      const seen = ctx.keyValueStore(inputs);
      if (video === null) {
        seen.delete(record.key);
        ctx.forward(record.withValue<ItemEmbedding | null>(null));
        return;
      }
      const fingerprint = `${tower.version}\n${tower.inputsOf(video)}`;
      if ((await seen.get(record.key)) === fingerprint) {
        ctx.count('embeddingsUnchanged');
        return;
      }
      const vector = await tower.embed(video);
      seen.put(record.key, fingerprint);
      ctx.forward(
        record.withValue<ItemEmbedding | null>({
          videoId: video.videoId,
          modelVersion: tower.version,
          vector: Array.from(vector),
          sourceTime: video.eventTime,
          embeddedTime: ctx.wallClockTime(),
        }),
      );
    },
  };
  pipeline
    .source(options.catalogTopic ?? topics.videoCatalog, {
      key: stringSerde,
      value: nullable(avroSerde(videoUploadSchema)),
    })
    .process(() => embed, { name: 'embed-items', stores: [inputs], changesKey: false })
    .to(options.outputTopic ?? itemEmbeddingsTopic, itemEmbeddingSerdes);
}
