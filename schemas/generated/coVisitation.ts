// Generated from schemas/coVisitation.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** One co-visited video. */
export interface Neighbour {
  /** Id of the neighbour video. */
  readonly videoId: string;
  /** Normalised co-visitation score in [0, 1], e.g. count / sqrt(views(anchor) * views(neighbour)). */
  readonly score: number;
  /** Raw number of times the two videos were watched by one user within the co-visitation window. */
  readonly count: number;
}

/** Item-to-item neighbours of one video: the videos most often watched by the same users close in time, with counts normalised against popularity. Keyed by video id on a compacted topic. */
export interface CoVisitation {
  /** Id of the anchor video. */
  readonly videoId: string;
  /** The top-K neighbours, best first. */
  readonly neighbours: readonly Neighbour[];
  /** Event time of the latest co-visit counted, Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link CoVisitation}, as registered in the schema registry. */
export const coVisitationSchema: AvroSchema<CoVisitation> = {
  name: 'reelstream.features.CoVisitation',
  definition: {
    type: 'record',
    name: 'CoVisitation',
    namespace: 'reelstream.features',
    doc: 'Item-to-item neighbours of one video: the videos most often watched by the same users close in time, with counts normalised against popularity. Keyed by video id on a compacted topic.',
    fields: [
      { name: 'videoId', type: 'string', doc: 'Id of the anchor video.' },
      {
        name: 'neighbours',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Neighbour',
            doc: 'One co-visited video.',
            fields: [
              { name: 'videoId', type: 'string', doc: 'Id of the neighbour video.' },
              {
                name: 'score',
                type: 'double',
                doc: 'Normalised co-visitation score in [0, 1], e.g. count / sqrt(views(anchor) * views(neighbour)).',
              },
              {
                name: 'count',
                type: 'long',
                doc: 'Raw number of times the two videos were watched by one user within the co-visitation window.',
              },
            ],
          },
        },
        doc: 'The top-K neighbours, best first.',
      },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time of the latest co-visit counted, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
