// Generated from schemas/watchSession.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** How a watch session was closed. */
export type SessionCloseReason = 'WATCH_END' | 'INACTIVITY';

/** One playback of a video by a user, built from its heartbeats and watch end: the delayed watch-time label. Emitted once per (user, video, session) when the session closes. Keyed by user id (co-partitioned with the user events the user features combine it with). */
export interface WatchSession {
  /** Stable pseudonymous id of the viewer. */
  readonly userId: string;
  /** Id of the video played. */
  readonly videoId: string;
  /** Id of the playback (from its heartbeats). */
  readonly sessionId: string;
  /** Milliseconds watched: the watch end's watchedMs, or the largest heartbeat watchedMs (late heartbeats within grace included) when there was no watch end. */
  readonly totalWatchMs: number;
  /** Length of the video in milliseconds when known (from the watch end or the catalogue); null otherwise. */
  readonly videoDurationMs: null | number;
  /** Heartbeats received for the session. */
  readonly heartbeats: number;
  /** Event time of the first heartbeat, Unix epoch milliseconds UTC. */
  readonly startTime: number;
  /** Event time of the watch end or of the last heartbeat, Unix epoch milliseconds UTC. */
  readonly endTime: number;
  /** WATCH_END when the player's watch end arrived; INACTIVITY when no event came for the inactivity gap (app killed, watch end lost). */
  readonly closedReason: SessionCloseReason;
  /** Recommendation request the playback started from, from the watch end; null when unknown. */
  readonly requestId: null | string;
}

/** The Avro schema of {@link WatchSession}, as registered in the schema registry. */
export const watchSessionSchema: AvroSchema<WatchSession> = {
  name: 'reelstream.features.WatchSession',
  definition: {
    type: 'record',
    name: 'WatchSession',
    namespace: 'reelstream.features',
    doc: 'One playback of a video by a user, built from its heartbeats and watch end: the delayed watch-time label. Emitted once per (user, video, session) when the session closes. Keyed by user id (co-partitioned with the user events the user features combine it with).',
    fields: [
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the viewer.' },
      { name: 'videoId', type: 'string', doc: 'Id of the video played.' },
      { name: 'sessionId', type: 'string', doc: 'Id of the playback (from its heartbeats).' },
      {
        name: 'totalWatchMs',
        type: 'long',
        doc: "Milliseconds watched: the watch end's watchedMs, or the largest heartbeat watchedMs (late heartbeats within grace included) when there was no watch end.",
      },
      {
        name: 'videoDurationMs',
        type: ['null', 'long'],
        default: null,
        doc: 'Length of the video in milliseconds when known (from the watch end or the catalogue); null otherwise.',
      },
      { name: 'heartbeats', type: 'int', doc: 'Heartbeats received for the session.' },
      {
        name: 'startTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time of the first heartbeat, Unix epoch milliseconds UTC.',
      },
      {
        name: 'endTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time of the watch end or of the last heartbeat, Unix epoch milliseconds UTC.',
      },
      {
        name: 'closedReason',
        type: {
          type: 'enum',
          name: 'SessionCloseReason',
          doc: 'How a watch session was closed.',
          symbols: ['WATCH_END', 'INACTIVITY'],
        },
        doc: "WATCH_END when the player's watch end arrived; INACTIVITY when no event came for the inactivity gap (app killed, watch end lost).",
      },
      {
        name: 'requestId',
        type: ['null', 'string'],
        default: null,
        doc: 'Recommendation request the playback started from, from the watch end; null when unknown.',
      },
    ],
  },
};
