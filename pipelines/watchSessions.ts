/**
 * Watch sessions: a playback's heartbeats and watch end turned into one `WatchSession` record per
 * (user, video, session), the delayed watch-time label.
 *
 * Why timers and not `sessionWindows`: a playback has an id of its own (`sessionId`), and its
 * watch end (when it comes) is the authoritative end and total; session windows could only close
 * by inactivity, would need a repartition to a composite key, and would split one playback in
 * two whenever its heartbeats are further apart than the gap. Here the processor API keeps one
 * entry per playback, keyed `user · video · session`, in a RocksDB store, with one event-time
 * timer per entry, on the user-keyed topics as they are: heartbeats and watch ends of a user
 * share a partition (schemas/README.md), so no repartition is needed and the output stays keyed
 * and partitioned by user.
 *
 * Rules (G = inactivity gap, R = grace, both in event time; "stream time" is the task's highest
 * record timestamp):
 * - A watch end closes its session at once (`WATCH_END`): total = the watch end's `watchedMs`,
 *   end time = its event time. No waiting for grace: the user features fold these records, and a
 *   watch must reach the next recommendation within 2 s whatever the traffic on the partition.
 * - Otherwise a session closes by inactivity (`INACTIVITY`) when stream time reaches its last
 *   heartbeat + G + R: total = the largest heartbeat `watchedMs`, end time = the last heartbeat.
 *   Heartbeats that arrive out of order before that are still counted (late within grace).
 * - A record for a session that is closed is late: dropped and counted (`lateWatchEvents`). So is
 *   the first record of a session when its own time + G + R is already behind stream time (its
 *   session would be closed at once). A closed session is remembered (a tombstone entry) until
 *   stream time reaches its last event + 2G + R: after that every record of it that is within
 *   the gap of its end is late by the rule before, so no playback is ever emitted twice for
 *   events within the gap of its end. A playback resumed after a pause longer than the gap is
 *   closed at the pause; heartbeats after the tombstone expired would start a second record.
 * - `startTime` is the earliest event of the session (its first heartbeat; the watch end when no
 *   heartbeat came). `videoDurationMs` comes from the watch end, or else from the catalogue
 *   (`catalog.videos`, read as a global table: sessions are keyed by user, a video can be anywhere).
 * - Output records are stamped with the session's end time, so downstream stream time follows
 *   event time, not the timer that closed the session.
 */
import {
  avroSerde,
  jsonSerde,
  keyValueStore,
  StreamRecord,
  stringSerde,
  type GlobalTable,
  type KeyValueState,
  type Operator,
  type OperatorContext,
  type Pipeline,
  type StoreDefinition,
  type Stream,
  type Timer,
} from '../operators/index.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import type { WatchHeartbeat } from '../schemas/generated/watchHeartbeat.js';
import type { SessionCloseReason, WatchSession } from '../schemas/generated/watchSession.js';
import { topicCatalog } from '../schemas/topics.js';

/** Serdes of the topics this pipeline reads and writes (keys are user or video ids). */
export const watchSessionSerdes = {
  heartbeats: { key: stringSerde, value: avroSerde(topicCatalog.watchHeartbeats.value) },
  watchEnds: { key: stringSerde, value: avroSerde(topicCatalog.watchEnds.value) },
  catalog: { key: stringSerde, value: avroSerde(topicCatalog.videoCatalog.value) },
  sessions: { key: stringSerde, value: avroSerde(topicCatalog.watchSessions.value) },
} as const;

/** Names of the stateful steps: they name the RocksDB directories and changelog topics. */
export const watchSessionNames = {
  /** The session operator and its store (`<app>-watch-sessions-changelog`), timers `watch-sessions-timers`. */
  sessions: 'watch-sessions',
  /** The catalogue global table, when the pipeline reads it itself. */
  catalog: 'watch-sessions-catalog',
} as const;

/** Defaults: heartbeats come every 10 s, so a minute without one means the player stopped. */
export const watchSessionDefaults = {
  inactivityGapMs: 60_000,
  graceMs: 30_000,
} as const;

/** Streams and tables the pipeline can share with others of one job (read once, branch). */
export interface WatchSessionInputs {
  readonly heartbeats?: Stream<string, WatchHeartbeat>;
  readonly watchEnds?: Stream<string, WatchEnd>;
  readonly catalog?: GlobalTable<string, VideoUpload>;
}

export interface WatchSessionOptions {
  /** Input streams already read by the job; the ones left out are read from their topics. */
  readonly inputs?: WatchSessionInputs;
  /** No event of a session for this long (event time) means the playback stopped. */
  readonly inactivityGapMs?: number;
  /** How long after the gap a late heartbeat is still counted. */
  readonly graceMs?: number;
}

/**
 * Adds the watch-session pipeline: `events.watch-heartbeats` + `events.watch-ends` (keyed by
 * user) → `features.watch-sessions` (keyed by user). Returns the sessions as a stream, so video
 * popularity, trending and user features of the same job can read them without the topic.
 */
export function watchSessions(
  pipeline: Pipeline,
  options: WatchSessionOptions = {},
): Stream<string, WatchSession> {
  const inputs = options.inputs ?? {};
  const timing: SessionTiming = {
    gapMs: options.inactivityGapMs ?? watchSessionDefaults.inactivityGapMs,
    graceMs: options.graceMs ?? watchSessionDefaults.graceMs,
  };
  const heartbeats =
    inputs.heartbeats ??
    pipeline.source(topicCatalog.watchHeartbeats.name, watchSessionSerdes.heartbeats, {
      name: 'watch-sessions-heartbeats',
    });
  const watchEnds =
    inputs.watchEnds ??
    pipeline.source(topicCatalog.watchEnds.name, watchSessionSerdes.watchEnds, {
      name: 'watch-sessions-ends',
    });
  const catalog =
    inputs.catalog ??
    pipeline.globalTable(topicCatalog.videoCatalog.name, watchSessionSerdes.catalog, {
      name: watchSessionNames.catalog,
    });
  const store = keyValueStore({
    name: watchSessionNames.sessions,
    key: stringSerde,
    value: jsonSerde<SessionState>(),
  });
  const sessions = heartbeats
    .mapValues((heartbeat): PlaybackEvent => ({ kind: 'heartbeat', heartbeat }), {
      name: 'watch-sessions-heartbeat-events',
    })
    .merge(
      watchEnds.mapValues((end): PlaybackEvent => ({ kind: 'end', end }), {
        name: 'watch-sessions-end-events',
      }),
      { name: 'watch-sessions-events' },
    )
    .process(() => new WatchSessionOperator(store, timing), {
      name: watchSessionNames.sessions,
      // Sessions stay keyed by the user id they came with: no repartition downstream.
      changesKey: false,
      stores: [store],
      // Timer keys are session keys (`user · video · session`), strings like the stream's key.
      timers: { key: stringSerde },
    })
    .leftJoinGlobal(catalog, withCatalogDuration, {
      name: 'watch-sessions-duration',
      key: (record) => (record.value.videoDurationMs === null ? record.value.videoId : null),
    });
  sessions.to(topicCatalog.watchSessions.name, watchSessionSerdes.sessions, {
    name: 'watch-sessions-out',
  });
  return sessions;
}

/** Fills a duration the watch end did not give from the catalogue (unknown videos keep null). */
function withCatalogDuration(session: WatchSession, video: VideoUpload | undefined): WatchSession {
  return session.videoDurationMs === null && video !== undefined
    ? { ...session, videoDurationMs: video.durationMs }
    : session;
}

/** A heartbeat or a watch end, so both feed one operator (in their partition's order). */
type PlaybackEvent =
  | { readonly kind: 'heartbeat'; readonly heartbeat: WatchHeartbeat }
  | { readonly kind: 'end'; readonly end: WatchEnd };

interface SessionTiming {
  readonly gapMs: number;
  readonly graceMs: number;
}

/** A playback still running: what its heartbeats told so far. */
interface OpenSession {
  readonly status: 'open';
  readonly userId: string;
  readonly videoId: string;
  readonly sessionId: string;
  readonly maxWatchedMs: number;
  readonly heartbeats: number;
  /** Earliest and latest event time of the session's heartbeats. */
  readonly startTime: number;
  readonly lastTime: number;
  /**
   * When the session's one timer is set for: its close as of the heartbeat that scheduled it.
   * Later heartbeats move the close but not the timer (a cancel and a schedule per heartbeat
   * were two timer-store writes and two changelog records each); when the timer fires before
   * the close it is set again for the close. Absent in entries written before it existed: the
   * timer is then at the close itself.
   */
  readonly timerAt?: number;
}

/** A closed playback, remembered until `expiresAt` (stream time) so its stragglers are late. */
interface ClosedSession {
  readonly status: 'closed';
  readonly expiresAt: number;
}

type SessionState = OpenSession | ClosedSession;

/** The store and timer key of a playback. NUL cannot occur in the ids' UTF-8 text. */
function sessionKey(ids: { userId: string; videoId: string; sessionId: string }): string {
  return `${ids.userId}\u0000${ids.videoId}\u0000${ids.sessionId}`;
}

type SessionContext = OperatorContext<string, WatchSession, string>;

class WatchSessionOperator implements Operator<string, PlaybackEvent, string, WatchSession> {
  private readonly definition: StoreDefinition<string, SessionState>;
  private readonly timing: SessionTiming;
  private store: KeyValueState<string, SessionState> | undefined;

  constructor(definition: StoreDefinition<string, SessionState>, timing: SessionTiming) {
    this.definition = definition;
    this.timing = timing;
  }

  init(ctx: SessionContext): void {
    this.store = ctx.keyValueStore(this.definition);
  }

  async process(record: StreamRecord<string, PlaybackEvent>, ctx: SessionContext): Promise<void> {
    const store = this.requireStore();
    const event = record.value;
    const ids = event.kind === 'heartbeat' ? event.heartbeat : event.end;
    const key = sessionKey(ids);
    const time = ids.eventTime;
    const now = ctx.streamTime();
    let state = await store.get(key);
    if (state?.status === 'open' && this.closesAt(state) <= now) {
      // This record moved stream time past the session's close: its timer has not fired yet
      // (timers fire after the record), but the session is over; close it first, so the
      // outcome does not depend on whether another user's record came in between.
      ctx.timers.cancelEventTime(key, this.timerOf(state));
      state = this.closeSession({ key, session: state }, ctx);
    }
    if (state?.status === 'closed' || (state === undefined && time + this.closeDelay() <= now)) {
      ctx.count('lateWatchEvents');
      return;
    }
    if (event.kind === 'end') {
      if (state !== undefined) {
        ctx.timers.cancelEventTime(key, this.timerOf(state));
      }
      this.closeSession({ key, session: state ?? fromWatchEnd(event.end), end: event.end }, ctx);
      return;
    }
    const heartbeat = event.heartbeat;
    if (state === undefined) {
      const timerAt = time + this.closeDelay();
      const opened: OpenSession = {
        status: 'open',
        userId: heartbeat.userId,
        videoId: heartbeat.videoId,
        sessionId: heartbeat.sessionId,
        maxWatchedMs: heartbeat.watchedMs,
        heartbeats: 1,
        startTime: time,
        lastTime: time,
        timerAt,
      };
      ctx.timers.scheduleEventTime(key, timerAt);
      store.put(key, opened);
      return;
    }
    // The timer stays where it is: onTimer sets it again if the close has moved past it.
    store.put(key, {
      ...state,
      maxWatchedMs: Math.max(state.maxWatchedMs, heartbeat.watchedMs),
      heartbeats: state.heartbeats + 1,
      startTime: Math.min(state.startTime, time),
      lastTime: Math.max(state.lastTime, time),
      timerAt: this.timerOf(state),
    });
  }

  async onTimer(timer: Timer<string>, ctx: SessionContext): Promise<void> {
    const store = this.requireStore();
    const state = await store.get(timer.key);
    if (state?.status === 'open' && this.timerOf(state) === timer.timestamp) {
      const closesAt = this.closesAt(state);
      if (closesAt <= timer.timestamp) {
        this.closeSession({ key: timer.key, session: state }, ctx);
      } else {
        // Heartbeats came since the timer was set: set it for the close they moved. Timers
        // fire in time order, so one due already fires in this round, in its place.
        ctx.timers.scheduleEventTime(timer.key, closesAt);
        store.put(timer.key, { ...state, timerAt: closesAt });
      }
    } else if (state?.status === 'closed' && state.expiresAt === timer.timestamp) {
      store.delete(timer.key);
    }
  }

  /** Emits the session, replaces it by a tombstone entry and schedules that entry's expiry. */
  private closeSession(
    closing: { key: string; session: OpenSession; end?: WatchEnd },
    ctx: SessionContext,
  ): ClosedSession {
    const { key, session, end } = closing;
    const reason: SessionCloseReason = end === undefined ? 'INACTIVITY' : 'WATCH_END';
    const endTime = end === undefined ? session.lastTime : end.eventTime;
    const value: WatchSession = {
      userId: session.userId,
      videoId: session.videoId,
      sessionId: session.sessionId,
      totalWatchMs: end === undefined ? session.maxWatchedMs : end.watchedMs,
      videoDurationMs: end === undefined ? null : end.videoDurationMs,
      heartbeats: session.heartbeats,
      startTime: end === undefined ? session.startTime : Math.min(session.startTime, end.eventTime),
      endTime,
      closedReason: reason,
      requestId: end?.requestId ?? null,
    };
    ctx.forward(StreamRecord.of({ key: session.userId, value, timestamp: endTime }));
    const activity = Math.max(session.lastTime, endTime);
    const closed: ClosedSession = {
      status: 'closed',
      expiresAt: activity + this.timing.gapMs + this.closeDelay(),
    };
    ctx.timers.scheduleEventTime(key, closed.expiresAt);
    this.requireStore().put(key, closed);
    return closed;
  }

  /** How long after its last event a session closes: the gap plus the grace. */
  private closeDelay(): number {
    return this.timing.gapMs + this.timing.graceMs;
  }

  private closesAt(session: OpenSession): number {
    return session.lastTime + this.closeDelay();
  }

  /** When the session's timer is set for (see {@link OpenSession.timerAt}). */
  private timerOf(session: OpenSession): number {
    return session.timerAt ?? this.closesAt(session);
  }

  private requireStore(): KeyValueState<string, SessionState> {
    if (this.store === undefined) {
      throw new Error('watch-sessions: process() before init()');
    }
    return this.store;
  }
}

/** A session known only from its watch end (no heartbeat came): it starts and ends there. */
function fromWatchEnd(end: WatchEnd): OpenSession {
  return {
    status: 'open',
    userId: end.userId,
    videoId: end.videoId,
    sessionId: end.sessionId,
    maxWatchedMs: 0,
    heartbeats: 0,
    startTime: end.eventTime,
    lastTime: end.eventTime,
  };
}
