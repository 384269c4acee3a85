// Generated from schemas/videoUpload.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** A video's catalogue entry: written when the video is uploaded and again on every metadata change (the latest record per video wins). Keyed by video id on a compacted topic, so the topic is the catalogue. */
export interface VideoUpload {
  /** Id of the video. */
  readonly videoId: string;
  /** Id of the account that uploaded the video. */
  readonly creatorId: string;
  /** Length of the video in milliseconds (short videos: mostly 10 to 60 seconds). */
  readonly durationMs: number;
  /** Primary category of the video (one id from the category taxonomy, e.g. cat-07); what category affinity and per-category trending use. */
  readonly category: string;
  /** Free tags (secondary categories, topics); possibly empty. */
  readonly tags: readonly string[];
  /** Region the video was uploaded from and is primarily served in (e.g. eu-west); what per-region trending uses. */
  readonly region: string;
  /** When the video was uploaded, Unix epoch milliseconds UTC; freshness is measured from it. */
  readonly uploadTime: number;
  /** When this catalogue record was written (equal to uploadTime for the upload itself), Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** The Avro schema of {@link VideoUpload}, as registered in the schema registry. */
export const videoUploadSchema: AvroSchema<VideoUpload> = {
  name: 'reelstream.events.VideoUpload',
  definition: {
    type: 'record',
    name: 'VideoUpload',
    namespace: 'reelstream.events',
    doc: "A video's catalogue entry: written when the video is uploaded and again on every metadata change (the latest record per video wins). Keyed by video id on a compacted topic, so the topic is the catalogue.",
    fields: [
      { name: 'videoId', type: 'string', doc: 'Id of the video.' },
      { name: 'creatorId', type: 'string', doc: 'Id of the account that uploaded the video.' },
      {
        name: 'durationMs',
        type: 'long',
        doc: 'Length of the video in milliseconds (short videos: mostly 10 to 60 seconds).',
      },
      {
        name: 'category',
        type: 'string',
        doc: 'Primary category of the video (one id from the category taxonomy, e.g. cat-07); what category affinity and per-category trending use.',
      },
      {
        name: 'tags',
        type: { type: 'array', items: 'string' },
        doc: 'Free tags (secondary categories, topics); possibly empty.',
      },
      {
        name: 'region',
        type: 'string',
        doc: 'Region the video was uploaded from and is primarily served in (e.g. eu-west); what per-region trending uses.',
      },
      {
        name: 'uploadTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the video was uploaded, Unix epoch milliseconds UTC; freshness is measured from it.',
      },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When this catalogue record was written (equal to uploadTime for the upload itself), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
