// Generated from schemas/itemEmbedding.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** A video's embedding from the two-tower model's item tower: written for every new or changed catalogue record and for every video again when a new model version is rolled out. Keyed by video id on the compacted topic embeddings.items (the latest record per video wins; a null value removes the video). */
export interface ItemEmbedding {
  /** Id of the video (also the record key). */
  readonly videoId: string;
  /** Version of the model whose item tower made the vector (its manifest's version); vectors of two versions are never compared or searched together. */
  readonly modelVersion: string;
  /** The item tower's output, as many floats as the model's embedding dimension. */
  readonly vector: readonly number[];
  /** eventTime of the catalogue record the vector was computed from, Unix epoch milliseconds UTC; freshness (upload to searchable) is measured from it. */
  readonly sourceTime: number;
  /** When the item tower produced the vector, Unix epoch milliseconds UTC. */
  readonly embeddedTime: number;
}

/** The Avro schema of {@link ItemEmbedding}, as registered in the schema registry. */
export const itemEmbeddingSchema: AvroSchema<ItemEmbedding> = {
  name: 'reelstream.features.ItemEmbedding',
  definition: {
    type: 'record',
    name: 'ItemEmbedding',
    namespace: 'reelstream.features',
    doc: "A video's embedding from the two-tower model's item tower: written for every new or changed catalogue record and for every video again when a new model version is rolled out. Keyed by video id on the compacted topic embeddings.items (the latest record per video wins; a null value removes the video).",
    fields: [
      { name: 'videoId', type: 'string', doc: 'Id of the video (also the record key).' },
      {
        name: 'modelVersion',
        type: 'string',
        doc: "Version of the model whose item tower made the vector (its manifest's version); vectors of two versions are never compared or searched together.",
      },
      {
        name: 'vector',
        type: { type: 'array', items: 'float' },
        doc: "The item tower's output, as many floats as the model's embedding dimension.",
      },
      {
        name: 'sourceTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'eventTime of the catalogue record the vector was computed from, Unix epoch milliseconds UTC; freshness (upload to searchable) is measured from it.',
      },
      {
        name: 'embeddedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the item tower produced the vector, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
