// Generated from schemas/videoPopularity.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Counts of one video within one window. */
export interface PopularityCounts {
  /** Playbacks started (watch sessions with any watch time) in the window. */
  readonly views: number;
  /** Playbacks that reached the end of the video (watch ratio at least 0.95) in the window. */
  readonly completedViews: number;
  /** Seconds of the video watched in the window, over all users. */
  readonly watchSeconds: number;
  /** Times the video was shown in the window. */
  readonly impressions: number;
  /** Clicks on the video in the window. */
  readonly clicks: number;
  /** clicks / impressions in the window; 0 when there were no impressions. */
  readonly ctr: number;
}

/** Popularity counters of one video over sliding windows ending at updatedTime. Keyed by video id on a compacted topic (latest value per video), co-partitioned with the catalogue. */
export interface VideoPopularity {
  /** Id of the video. */
  readonly videoId: string;
  /** Counts over the last 5 minutes: reacts fastest, detects viral videos. */
  readonly last5m: PopularityCounts;
  /** Counts over the last hour. */
  readonly last1h: PopularityCounts;
  /** Counts over the last 24 hours. */
  readonly last24h: PopularityCounts;
  /** Event time the windows end at (the latest event counted), Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link VideoPopularity}, as registered in the schema registry. */
export const videoPopularitySchema: AvroSchema<VideoPopularity> = {
  name: 'reelstream.features.VideoPopularity',
  definition: {
    type: 'record',
    name: 'VideoPopularity',
    namespace: 'reelstream.features',
    doc: 'Popularity counters of one video over sliding windows ending at updatedTime. Keyed by video id on a compacted topic (latest value per video), co-partitioned with the catalogue.',
    fields: [
      { name: 'videoId', type: 'string', doc: 'Id of the video.' },
      {
        name: 'last5m',
        type: {
          type: 'record',
          name: 'PopularityCounts',
          doc: 'Counts of one video within one window.',
          fields: [
            {
              name: 'views',
              type: 'long',
              doc: 'Playbacks started (watch sessions with any watch time) in the window.',
            },
            {
              name: 'completedViews',
              type: 'long',
              doc: 'Playbacks that reached the end of the video (watch ratio at least 0.95) in the window.',
            },
            {
              name: 'watchSeconds',
              type: 'double',
              doc: 'Seconds of the video watched in the window, over all users.',
            },
            { name: 'impressions', type: 'long', doc: 'Times the video was shown in the window.' },
            { name: 'clicks', type: 'long', doc: 'Clicks on the video in the window.' },
            {
              name: 'ctr',
              type: 'double',
              doc: 'clicks / impressions in the window; 0 when there were no impressions.',
            },
          ],
        },
        doc: 'Counts over the last 5 minutes: reacts fastest, detects viral videos.',
      },
      { name: 'last1h', type: 'PopularityCounts', doc: 'Counts over the last hour.' },
      { name: 'last24h', type: 'PopularityCounts', doc: 'Counts over the last 24 hours.' },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time the windows end at (the latest event counted), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
