// Generated from schemas/watchEnd.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Why a playback stopped. UNKNOWN is the reader default for reasons added later. */
export type WatchEndReason = 'COMPLETED' | 'SWIPED_AWAY' | 'CLOSED' | 'UNKNOWN';

/** Sent by the player once when a playback stops (completed, swiped away or app closed). Keyed by user id, like the heartbeats of the same playback. May be lost (app killed): the watch-session pipeline then closes the session by inactivity. */
export interface WatchEnd {
  /** Stable pseudonymous id of the viewer. */
  readonly userId: string;
  /** Id of the video that was playing. */
  readonly videoId: string;
  /** Id of the playback; the same as in its heartbeats. */
  readonly sessionId: string;
  /** Total milliseconds of the video played in this playback; at least the last heartbeat's watchedMs. */
  readonly watchedMs: number;
  /** Length of the video in milliseconds, as the player knows it; watchedMs / videoDurationMs is the watch ratio (above 1 on replays). */
  readonly videoDurationMs: number;
  /** Why the playback stopped: played to the end (COMPLETED), the user moved on (SWIPED_AWAY), the app was closed or backgrounded (CLOSED). */
  readonly reason: WatchEndReason;
  /** Id of the recommendation request the playback started from, when it started from a recommendation list; null otherwise. */
  readonly requestId: null | string;
  /** When the playback stopped (event time), Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** The Avro schema of {@link WatchEnd}, as registered in the schema registry. */
export const watchEndSchema: AvroSchema<WatchEnd> = {
  name: 'reelstream.events.WatchEnd',
  definition: {
    type: 'record',
    name: 'WatchEnd',
    namespace: 'reelstream.events',
    doc: 'Sent by the player once when a playback stops (completed, swiped away or app closed). Keyed by user id, like the heartbeats of the same playback. May be lost (app killed): the watch-session pipeline then closes the session by inactivity.',
    fields: [
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the viewer.' },
      { name: 'videoId', type: 'string', doc: 'Id of the video that was playing.' },
      {
        name: 'sessionId',
        type: 'string',
        doc: 'Id of the playback; the same as in its heartbeats.',
      },
      {
        name: 'watchedMs',
        type: 'long',
        doc: "Total milliseconds of the video played in this playback; at least the last heartbeat's watchedMs.",
      },
      {
        name: 'videoDurationMs',
        type: 'long',
        doc: 'Length of the video in milliseconds, as the player knows it; watchedMs / videoDurationMs is the watch ratio (above 1 on replays).',
      },
      {
        name: 'reason',
        type: {
          type: 'enum',
          name: 'WatchEndReason',
          doc: 'Why a playback stopped. UNKNOWN is the reader default for reasons added later.',
          symbols: ['COMPLETED', 'SWIPED_AWAY', 'CLOSED', 'UNKNOWN'],
          default: 'UNKNOWN',
        },
        doc: 'Why the playback stopped: played to the end (COMPLETED), the user moved on (SWIPED_AWAY), the app was closed or backgrounded (CLOSED).',
      },
      {
        name: 'requestId',
        type: ['null', 'string'],
        default: null,
        doc: 'Id of the recommendation request the playback started from, when it started from a recommendation list; null otherwise.',
      },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the playback stopped (event time), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
