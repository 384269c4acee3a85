// Generated from schemas/videoViews.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** A video's views as co-visitation counts them (qualifying watches, exponentially decayed), which co-visitation scores divide by: read back as a global table, so a co-visit needs no trip through its neighbour's partition. Keyed by video id on a compacted topic. */
export interface VideoViews {
  /** Id of the video. */
  readonly videoId: string;
  /** Decayed count of qualifying watches as of updatedTime (half-life: the co-visitation pipeline's halfLifeMs). */
  readonly views: number;
  /** Event time the decayed count refers to (the latest watch counted), Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link VideoViews}, as registered in the schema registry. */
export const videoViewsSchema: AvroSchema<VideoViews> = {
  name: 'reelstream.features.VideoViews',
  definition: {
    type: 'record',
    name: 'VideoViews',
    namespace: 'reelstream.features',
    doc: "A video's views as co-visitation counts them (qualifying watches, exponentially decayed), which co-visitation scores divide by: read back as a global table, so a co-visit needs no trip through its neighbour's partition. Keyed by video id on a compacted topic.",
    fields: [
      { name: 'videoId', type: 'string', doc: 'Id of the video.' },
      {
        name: 'views',
        type: 'double',
        doc: "Decayed count of qualifying watches as of updatedTime (half-life: the co-visitation pipeline's halfLifeMs).",
      },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time the decayed count refers to (the latest watch counted), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
