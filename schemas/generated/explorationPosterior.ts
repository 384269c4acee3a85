// Generated from schemas/explorationPosterior.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** The click-through posterior of one fresh video (uploaded within the exploration freshness window), Beta(alpha, beta) from its impressions and clicks: what the serving layer's exploration slot samples from (Thompson sampling). Keyed by video id on the compacted topic features.exploration-posteriors; a null value (tombstone) once the video is no longer fresh. */
export interface ExplorationPosterior {
  /** Id of the video (also the record key). */
  readonly videoId: string;
  /** Beta posterior's alpha: the prior's alpha plus the clicks counted. */
  readonly alpha: number;
  /** Beta posterior's beta: the prior's beta plus the impressions without a click (impressions minus clicks, at least 0). */
  readonly beta: number;
  /** Impressions of the video counted since its upload. */
  readonly impressions: number;
  /** Clicks on the video counted since its upload. */
  readonly clicks: number;
  /** When the video was uploaded (from the catalogue), Unix epoch milliseconds UTC: readers judge freshness from it. */
  readonly uploadTime: number;
  /** Event time of the newest impression or click counted, Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link ExplorationPosterior}, as registered in the schema registry. */
export const explorationPosteriorSchema: AvroSchema<ExplorationPosterior> = {
  name: 'reelstream.features.ExplorationPosterior',
  definition: {
    type: 'record',
    name: 'ExplorationPosterior',
    namespace: 'reelstream.features',
    doc: "The click-through posterior of one fresh video (uploaded within the exploration freshness window), Beta(alpha, beta) from its impressions and clicks: what the serving layer's exploration slot samples from (Thompson sampling). Keyed by video id on the compacted topic features.exploration-posteriors; a null value (tombstone) once the video is no longer fresh.",
    fields: [
      { name: 'videoId', type: 'string', doc: 'Id of the video (also the record key).' },
      {
        name: 'alpha',
        type: 'double',
        doc: "Beta posterior's alpha: the prior's alpha plus the clicks counted.",
      },
      {
        name: 'beta',
        type: 'double',
        doc: "Beta posterior's beta: the prior's beta plus the impressions without a click (impressions minus clicks, at least 0).",
      },
      {
        name: 'impressions',
        type: 'long',
        doc: 'Impressions of the video counted since its upload.',
      },
      { name: 'clicks', type: 'long', doc: 'Clicks on the video counted since its upload.' },
      {
        name: 'uploadTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the video was uploaded (from the catalogue), Unix epoch milliseconds UTC: readers judge freshness from it.',
      },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time of the newest impression or click counted, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
