// Generated from schemas/watchHeartbeat.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Sent by the player every 10 seconds while a video plays; the source of precise watch time. Keyed by user id so that a user's events share a partition. */
export interface WatchHeartbeat {
  /** Stable pseudonymous id of the viewer. */
  readonly userId: string;
  /** Id of the video being played. */
  readonly videoId: string;
  /** Id of one playback of the video by the user; heartbeats of one playback share it. */
  readonly sessionId: string;
  /** Milliseconds of the video played in this playback so far (cumulative, monotonic within a session). */
  readonly watchedMs: number;
  /** When the client emitted the heartbeat (event time), Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** The Avro schema of {@link WatchHeartbeat}, as registered in the schema registry. */
export const watchHeartbeatSchema: AvroSchema<WatchHeartbeat> = {
  name: 'reelstream.events.WatchHeartbeat',
  definition: {
    type: 'record',
    name: 'WatchHeartbeat',
    namespace: 'reelstream.events',
    doc: "Sent by the player every 10 seconds while a video plays; the source of precise watch time. Keyed by user id so that a user's events share a partition.",
    fields: [
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the viewer.' },
      { name: 'videoId', type: 'string', doc: 'Id of the video being played.' },
      {
        name: 'sessionId',
        type: 'string',
        doc: 'Id of one playback of the video by the user; heartbeats of one playback share it.',
      },
      {
        name: 'watchedMs',
        type: 'long',
        doc: 'Milliseconds of the video played in this playback so far (cumulative, monotonic within a session).',
      },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the client emitted the heartbeat (event time), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
