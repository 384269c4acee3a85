// Generated from test/chaos/chaosWatchEvent.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../../operators/index.js';

/** A video watch event of the kill -9 exactly-once harness (test/chaos). Keyed by userId; written deterministically by test/chaos/generator.ts, so the verifier can recompute every expected output from the input topic. */
export interface ChaosWatchEvent {
  /** Viewer, e.g. usr_00a3f; the input record key (UTF-8), so one user's events share a partition and keep their order. */
  readonly userId: string;
  /** Video watched, e.g. vid_01k9; the hopping-window view counts are per video. */
  readonly videoId: string;
  /** Per-user sequence number: the n-th event of a user has seq n (1, 2, 3, ...), so a duplicate or a gap in the per-user output shows at once. */
  readonly seq: number;
  /** How long the video was watched, in milliseconds; summed into the per-user running total. */
  readonly watchedMs: number;
  /** When the view happened, epoch milliseconds; also the Kafka record timestamp, which the windows use. */
  readonly eventTime: number;
}

/** The Avro schema of {@link ChaosWatchEvent}, as registered in the schema registry. */
export const chaosWatchEventSchema: AvroSchema<ChaosWatchEvent> = {
  name: 'dev.reelstream.chaos.ChaosWatchEvent',
  definition: {
    type: 'record',
    name: 'ChaosWatchEvent',
    namespace: 'dev.reelstream.chaos',
    doc: 'A video watch event of the kill -9 exactly-once harness (test/chaos). Keyed by userId; written deterministically by test/chaos/generator.ts, so the verifier can recompute every expected output from the input topic.',
    fields: [
      {
        name: 'userId',
        type: 'string',
        doc: "Viewer, e.g. usr_00a3f; the input record key (UTF-8), so one user's events share a partition and keep their order.",
      },
      {
        name: 'videoId',
        type: 'string',
        doc: 'Video watched, e.g. vid_01k9; the hopping-window view counts are per video.',
      },
      {
        name: 'seq',
        type: 'long',
        doc: 'Per-user sequence number: the n-th event of a user has seq n (1, 2, 3, ...), so a duplicate or a gap in the per-user output shows at once.',
      },
      {
        name: 'watchedMs',
        type: 'long',
        doc: 'How long the video was watched, in milliseconds; summed into the per-user running total.',
      },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the view happened, epoch milliseconds; also the Kafka record timestamp, which the windows use.',
      },
    ],
  },
};
