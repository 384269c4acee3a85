/**
 * Video popularity: per video, views, completed views, watch seconds, impressions, clicks and CTR
 * over sliding windows of the last 5 minutes, hour and 24 hours, published to the compacted
 * `features.video-popularity` (keyed by video) for the serving layer's global table.
 *
 * **Inputs.** Impressions and clicks count at their event time. Views, completed views and watch
 * seconds come from the closed playbacks of `features.watch-sessions` (pipelines/watchSessions.ts),
 * not from raw heartbeats: a session is one deduplicated playback with its final watch time,
 * whether its watch end came or not, so a view is counted once and watch time is exact without
 * a per-playback state here too. A playback counts at its start time (the schema's "playbacks
 * started in the window"), once it is closed: at once on its watch end, after the inactivity gap
 * otherwise. It is a view when it has any watch time, completed when it reached 95% of the
 * video's duration (the watch end's, or the catalogue's: watch sessions fill it in).
 * Impressions and clicks are keyed by video at their source; the playbacks (keyed by user) are
 * re-keyed by video through one repartition topic (`<app>-video-popularity-events-repartition`),
 * so every event of a video meets in one task.
 *
 * **Windows as time buckets** (operators/windowing/timeBuckets.ts): 5 minutes = 30 buckets of 10 s,
 * 1 hour = 60 buckets of 1 minute, 24 hours = 96 buckets of 15 minutes. A window "sliding over
 * the last N minutes" with exact per-event windows (`slidingWindows`) keeps every event of the
 * last 24 hours per video and recomputes on each event: far too much for a hot video at
 * thousands of events per second. Buckets make each event O(1) and bound the state of a video
 * to 186 buckets whatever its rate (varint-encoded: a few bytes per bucket with small counts),
 * at the price of granularity: each window slides by one bucket and covers the last N minutes
 * to within one bucket (10 s, 1 min, 15 min). Buckets expire by event time, relative to the
 * task's stream time, never the wall clock, so a replay computes the same values.
 *
 * **Lateness.** An event counts in every window its bucket is still in when it arrives,
 * whatever its order: there is no grace to choose, because a bucket leaving the window and the
 * window not covering the event are the same thing. An event older than the 24-hour window is
 * dropped and counted (`latePopularityEvents`).
 *
 * **When values are published.** Not on every event: a hot video would publish thousands of
 * records per second that the compacted topic and every serving replica would have to apply,
 * each superseding the last. Each video changed since the task's last commit is published once,
 * at the commit (Kafka Streams' record cache does this for its aggregations): the feature job
 * commits every second, which keeps values within the serving layer's 2 s, and readers of the
 * topic (read_committed) see nothing sooner anyway. It was a processing-time timer per video
 * and second before: a timer-store write, a changelog record and a tombstone each. Values also
 * change without events, as buckets leave the windows: an event-time timer at the next bucket
 * expiry of the video marks it changed, so a video that stops being watched decays to zeros
 * (published once, then its state is deleted) instead of keeping its last counts forever.
 *
 * Each record's windows end at `updatedTime`: the task's stream time when it was published
 * (at least the video's newest event), so values of different videos are comparable. That time
 * is the task's, not a reader's: a reader at its own time (the serving layer, at the request's
 * time) takes the views through {@link lastHourViewsAt}, so that what it reads does not depend on
 * how far the task has got (how its inputs interleaved, or whether the serving job's own
 * impressions at the request's time have been read yet).
 */
import {
  addToBucket,
  avroSerde,
  bucketIndex,
  type BucketRow,
  type BucketWindow,
  dropBefore,
  firstIndexAt,
  type HeldUpdate,
  jsonSerde,
  type KeyValueState,
  keyValueStore,
  leavesWindowAt,
  type Operator,
  type OperatorContext,
  type Pipeline,
  type Serde,
  type StoreDefinition,
  type Stream,
  StreamRecord,
  stringSerde,
  sumFrom,
  type Timer,
  VarintReader,
  VarintWriter,
} from '../operators/index.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { PopularityCounts, VideoPopularity } from '../schemas/generated/videoPopularity.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import { topicCatalog } from '../schemas/topics.js';

/** Serdes of the topics this pipeline reads and writes. */
export const videoPopularitySerdes = {
  impressions: { key: stringSerde, value: avroSerde(topicCatalog.impressions.value) },
  clicks: { key: stringSerde, value: avroSerde(topicCatalog.clicks.value) },
  watchSessions: { key: stringSerde, value: avroSerde(topicCatalog.watchSessions.value) },
  popularity: { key: stringSerde, value: avroSerde(topicCatalog.videoPopularity.value) },
} as const;

/** Names of the stateful steps: they name the RocksDB directory, timers and internal topics. */
export const videoPopularityNames = {
  /** Repartition by video: `<app>-video-popularity-events-repartition`. */
  byVideo: 'video-popularity-events',
  /** Operator and store (`<app>-video-popularity-changelog`); timers `video-popularity-timers`. */
  counts: 'video-popularity',
} as const;

/** The three windows, in the order of the record's fields. */
export const popularityWindows = {
  last5m: { resolutionMs: 10_000, buckets: 30 },
  last1h: { resolutionMs: 60_000, buckets: 60 },
  last24h: { resolutionMs: 900_000, buckets: 96 },
} as const satisfies Record<string, BucketWindow>;

/** A playback completed when it reached this share of the video's duration (schema doc). */
export const completedWatchRatio = 0.95;

/** Streams the pipeline can share with others of one job (read once, branch). */
export interface VideoPopularityInputs {
  readonly impressions?: Stream<string, Impression>;
  readonly clicks?: Stream<string, Click>;
  /** Closed playbacks, e.g. the stream `watchSessions()` returns. */
  readonly watchSessions?: Stream<string, WatchSession>;
}

export interface VideoPopularityOptions {
  /** Input streams already read by the job; the ones left out are read from their topics. */
  readonly inputs?: VideoPopularityInputs;
}

/**
 * What one input event adds to its video's current bucket of each window. Counters are
 * integers, so buckets store as varints: `watchMs` in milliseconds, shown as seconds.
 */
export interface PopularityEvent {
  /** Event time the event counts at. */
  readonly time: number;
  readonly views: number;
  readonly completedViews: number;
  readonly watchMs: number;
  readonly impressions: number;
  readonly clicks: number;
}

/**
 * Adds the video-popularity pipeline: impressions and clicks (keyed by video), watch sessions
 * (keyed by user) →
 * `features.video-popularity` (keyed by video). Returns the published stream.
 */
export function videoPopularity(
  pipeline: Pipeline,
  options: VideoPopularityOptions = {},
): Stream<string, VideoPopularity> {
  const inputs = options.inputs ?? {};
  const serdes = videoPopularitySerdes;
  const impressions =
    inputs.impressions ??
    pipeline.source(topicCatalog.impressions.name, serdes.impressions, {
      name: 'video-popularity-impressions',
    });
  const clicks =
    inputs.clicks ??
    pipeline.source(topicCatalog.clicks.name, serdes.clicks, { name: 'video-popularity-clicks' });
  const sessions =
    inputs.watchSessions ??
    pipeline.source(topicCatalog.watchSessions.name, serdes.watchSessions, {
      name: 'video-popularity-sessions',
    });
  const store = keyValueStore({
    name: videoPopularityNames.counts,
    key: stringSerde,
    value: popularityStateSerde,
  });
  // Impressions and clicks are keyed by video at the source; only the closed playbacks (keyed
  // by user) go through a repartition topic to meet them.
  const playbacks = sessions
    .filter((session) => session.totalWatchMs > 0, { name: 'video-popularity-views' })
    .map((r) => r.withKey(r.value.videoId).withValue(playbackEvent(r.value)), {
      name: 'video-popularity-playback-events',
    })
    .repartition({
      name: videoPopularityNames.byVideo,
      serdes: { key: stringSerde, value: jsonSerde<PopularityEvent>() },
    });
  const events = impressions
    .mapValues(impressionEvent, { name: 'video-popularity-impression-events' })
    .merge(clicks.mapValues(clickEvent, { name: 'video-popularity-click-events' }), {
      name: 'video-popularity-merge-clicks',
    })
    .merge(playbacks, { name: 'video-popularity-merge-playbacks' });
  const popularity = events.process(() => new VideoPopularityOperator(store), {
    name: videoPopularityNames.counts,
    changesKey: false, // published under the video id it was grouped by
    stores: [store],
    timers: { key: stringSerde },
  });
  popularity.to(topicCatalog.videoPopularity.name, serdes.popularity, {
    name: 'video-popularity-out',
  });
  return popularity;
}

const none = { views: 0, completedViews: 0, watchMs: 0, impressions: 0, clicks: 0 };

function impressionEvent(impression: Impression): PopularityEvent {
  return { ...none, time: impression.eventTime, impressions: 1 };
}

function clickEvent(click: Click): PopularityEvent {
  return { ...none, time: click.eventTime, clicks: 1 };
}

function playbackEvent(session: WatchSession): PopularityEvent {
  const duration = session.videoDurationMs;
  const completed =
    duration !== null && duration > 0 && session.totalWatchMs >= completedWatchRatio * duration;
  return {
    ...none,
    time: session.startTime,
    views: 1,
    completedViews: completed ? 1 : 0,
    watchMs: session.totalWatchMs,
  };
}

/** The counters of a bucket row, in this order after its index. */
const counterCount = 5;

function deltasOf(event: PopularityEvent): number[] {
  return [event.views, event.completedViews, event.watchMs, event.impressions, event.clicks];
}

/** The windows in the record's field order. */
const windowList: readonly BucketWindow[] = [
  popularityWindows.last5m,
  popularityWindows.last1h,
  popularityWindows.last24h,
];

/** The longest window: an event outside it is outside all of them. */
const longest = popularityWindows.last24h;

/** A video's state: its buckets per window, and what its timers and windows need to know. */
interface PopularityState {
  /** Newest event time counted: the windows end at least here (stream time is not stored). */
  readonly latest: number;
  /** The event-time timer set for the next bucket expiry; 0 when none. */
  readonly expiryTimer: number;
  /** Buckets of each window of {@link windowList}, oldest first. */
  readonly windows: readonly BucketRow[][];
}

/** Varints: latest, expiryTimer, then each window's rows (delta-encoded index + 5 counters). */
const popularityStateSerde: Serde<PopularityState> = {
  name: 'video-popularity-buckets',
  serialize: (state) => {
    const writer = new VarintWriter();
    writer.write(state.latest);
    writer.write(state.expiryTimer);
    for (const rows of state.windows) {
      writer.writeRows(rows, counterCount);
    }
    return writer.finish();
  },
  deserialize: (bytes) => {
    const reader = new VarintReader(bytes, 'video-popularity');
    const latest = reader.read();
    const expiryTimer = reader.read();
    const windows = windowList.map(() => reader.readRows(counterCount));
    return { latest, expiryTimer, windows };
  },
};

type PopularityContext = OperatorContext<string, VideoPopularity, string>;

class VideoPopularityOperator implements Operator<
  string,
  PopularityEvent,
  string,
  VideoPopularity
> {
  private readonly definition: StoreDefinition<string, PopularityState>;
  private store: KeyValueState<string, PopularityState> | undefined;
  private ctx: PopularityContext | undefined;
  /**
   * Videos changed since the last commit, their states kept decoded: each is published once
   * at the commit ({@link takeHeld}), and under exactly-once its state is written only then (a
   * video's buckets, up to ~190 rows, were decoded and encoded on every impression of it, and a
   * popular video has hundreds per second). At-least-once stores record at each write which
   * input it includes, so there states are also written as they change.
   */
  private changed = new Map<string, PopularityState>();
  private writesAtCommitOnly = false;

  constructor(definition: StoreDefinition<string, PopularityState>) {
    this.definition = definition;
  }

  init(ctx: PopularityContext): void {
    this.store = ctx.keyValueStore(this.definition);
    this.ctx = ctx;
    this.writesAtCommitOnly = !ctx.stateStore(this.definition.name).carriesPositions;
  }

  /** At the commit: every changed video published with its windows as they end now. */
  takeHeld(): readonly HeldUpdate<string, VideoPopularity>[] {
    if (this.changed.size === 0) {
      return [];
    }
    const store = this.requireStore();
    const ctx = this.requireContext();
    const changed = [...this.changed];
    this.changed = new Map();
    return changed.map(([videoId, state]) => {
      const { end, windows } = this.expired(state, ctx);
      const [last5m, last1h, last24h] = windows.map((rows, w) => countsOf(rows, end, w));
      if (last5m === undefined || last1h === undefined || last24h === undefined) {
        throw new Error('video-popularity: three windows expected');
      }
      const value: VideoPopularity = { videoId, last5m, last1h, last24h, updatedTime: end };
      // Every window empty, published as zeros: nothing left to keep or to decay. (Its expiry
      // timer, if one is left, finds no state and does nothing.)
      const empty = windows.every((rows) => rows.length === 0);
      return {
        record: StreamRecord.of({ key: videoId, value, timestamp: end }),
        keyBytes: Buffer.from(videoId),
        apply: () => {
          if (empty) {
            store.delete(videoId);
          } else if (this.writesAtCommitOnly) {
            store.put(videoId, { ...state, windows });
          }
        },
      };
    });
  }

  async process(
    record: StreamRecord<string, PopularityEvent>,
    ctx: PopularityContext,
  ): Promise<void> {
    const videoId = record.key;
    const event = record.value;
    const previous = await this.load(videoId);
    const end = Math.max(ctx.streamTime(), previous?.latest ?? 0, event.time);
    if (bucketIndex(event.time, longest) < firstIndexAt(end, longest)) {
      ctx.count('latePopularityEvents');
      return;
    }
    const deltas = deltasOf(event);
    const windows = windowList.map((window, w) => {
      const rows = dropBefore(previous?.windows[w] ?? [], firstIndexAt(end, window));
      const index = bucketIndex(event.time, window);
      if (index >= firstIndexAt(end, window)) {
        addToBucket(rows, index, deltas);
      }
      return rows;
    });
    const latest = Math.max(previous?.latest ?? 0, event.time);
    const expiryTimer = this.rescheduleExpiry({ videoId, previous, windows }, ctx);
    this.save(videoId, { latest, expiryTimer, windows });
  }

  async onTimer(timer: Timer<string>, ctx: PopularityContext): Promise<void> {
    // Processing-time timers published videos before the commit did; one restored from an
    // older changelog has nothing left to do.
    if (timer.kind !== 'eventTime') {
      return;
    }
    const state = await this.load(timer.key);
    if (state === undefined || timer.timestamp !== state.expiryTimer) {
      return;
    }
    // A bucket left a window: the decayed values are published at the commit.
    const { windows } = this.expired(state, ctx);
    const expiryTimer = this.rescheduleExpiry(
      { videoId: timer.key, previous: { ...state, expiryTimer: 0 }, windows },
      ctx,
    );
    this.save(timer.key, { ...state, expiryTimer, windows });
  }

  /** The state's windows as they end now: stream time, or the newest event after a restart. */
  private expired(
    state: PopularityState,
    ctx: PopularityContext,
  ): { end: number; windows: BucketRow[][] } {
    const end = Math.max(ctx.streamTime(), state.latest);
    const windows = windowList.map((window, w) =>
      dropBefore(state.windows[w] ?? [], firstIndexAt(end, window)),
    );
    return { end, windows };
  }

  /** Moves the video's expiry timer to its oldest bucket's exit; returns its time (0: none). */
  private rescheduleExpiry(
    video: {
      videoId: string;
      previous: PopularityState | undefined;
      windows: readonly BucketRow[][];
    },
    ctx: PopularityContext,
  ): number {
    const exits = video.windows.flatMap((rows, w) => {
      const oldest = rows[0]?.[0];
      const window = windowList[w];
      return oldest === undefined || window === undefined ? [] : [leavesWindowAt(oldest, window)];
    });
    const next = exits.length === 0 ? 0 : Math.min(...exits);
    const current = video.previous?.expiryTimer ?? 0;
    if (current !== next) {
      if (current !== 0) {
        ctx.timers.cancelEventTime(video.videoId, current);
      }
      if (next !== 0) {
        ctx.timers.scheduleEventTime(video.videoId, next);
      }
    }
    return next;
  }

  /** The video's state: as changed since the last commit, else as stored. */
  private async load(videoId: string): Promise<PopularityState | undefined> {
    return this.changed.get(videoId) ?? (await this.requireStore().get(videoId));
  }

  private save(videoId: string, state: PopularityState): void {
    this.changed.set(videoId, state);
    if (!this.writesAtCommitOnly) {
      this.requireStore().put(videoId, state);
    }
  }

  private requireContext(): PopularityContext {
    if (this.ctx === undefined) {
      throw new Error('video-popularity: takeHeld() before init()');
    }
    return this.ctx;
  }

  private requireStore(): KeyValueState<string, PopularityState> {
    if (this.store === undefined) {
      throw new Error('video-popularity: process() before init()');
    }
    return this.store;
  }
}

/**
 * A record's views in the hour before `now`, as far as the record can tell: what a reader at
 * `now` (the serving layer, at the request's time) should use instead of `last1h.views`.
 *
 * A record's windows end at `updatedTime`, the task's stream time when it was published, and
 * that is not the reader's time: it is wherever the task had got to, which depends on the other
 * videos' records the task had read (how its inputs interleaved) and, in a replay, on the
 * serving job's own impressions at the request's time, which reach the task while later users
 * are still being asked and move its stream time, and every video's windows, on (the cause of
 * the served recommender's run-to-run differences, docs/evaluation.md). So: when the record's
 * hour ended before the reader's hour began, none of its views is in the reader's hour (every
 * counted event is at or before `updatedTime`) and the answer is 0, exactly, whether the task
 * has published the video's expiry yet or not; otherwise the record's count, exact when the
 * record is of the reader's minute and an upper bound when it is older (the buckets that left
 * the hour since are still in it).
 */
export function lastHourViewsAt(popularity: VideoPopularity, now: number): number {
  const window = popularityWindows.last1h;
  return bucketIndex(popularity.updatedTime, window) < firstIndexAt(now, window)
    ? 0
    : popularity.last1h.views;
}

/** The record's counts of window `w` ending at `end`. */
function countsOf(rows: readonly BucketRow[], end: number, w: number): PopularityCounts {
  const window = windowList[w] ?? longest;
  const [views = 0, completedViews = 0, watchMs = 0, impressions = 0, clicks = 0] = sumFrom(
    rows,
    firstIndexAt(end, window),
    counterCount,
  );
  return {
    views,
    completedViews,
    watchSeconds: watchMs / 1000,
    impressions,
    clicks,
    ctr: impressions === 0 ? 0 : clicks / impressions,
  };
}
