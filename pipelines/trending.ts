/**
 * Trending: the top-K videos per region and per category over the last hour, published to the
 * compacted one-partition `features.trending`, keyed `region:<region>` / `category:<category>`
 * (`trendingKey()`), for the serving layer to read whole as a global table.
 *
 * **Input.** Closed playbacks (`features.watch-sessions`, or the stream `watchSessions()` returns)
 * with any watch time, each counted at its start time like video popularity's views. A video's
 * region and category come from the catalogue `catalog.videos`, read as a global table: sessions
 * are keyed by user and a user watches videos of every region, so a table join would need a
 * repartition by video first, and the catalogue is small reference data (schemas/README.md).
 * Playbacks of videos the catalogue does not know yet are not ranked (inner join). Each playback
 * then goes to its two scopes through one repartition topic keyed by scope
 * (`<app>-trending-by-scope-repartition`), so every playback of a scope meets in one task.
 *
 * **Score.** `views + completedViews` over the last hour: a playback counts once, and once more
 * when it reached 95% of the video (duration from the watch end, or the catalogue). Starts alone
 * reward thumbnails that get swiped away after a second; completions are the strongest implicit
 * signal the hour has and cannot be had without the start, so the score stays a count of
 * playbacks, easy to read beside the `views` it lists. Ties: more views first, then video id, so
 * the list is deterministic.
 *
 * **State.** Per scope and video, one-minute buckets of (views, completed) for the last hour
 * (operators/windowing/timeBuckets.ts: 60 buckets, varint-encoded), keyed `<scope> NUL <video>` so a
 * scope's videos are one range scan. A top-K list over a sliding window cannot be maintained
 * incrementally (counts fall as buckets leave the window, and any video may rise above the
 * K-th), so each publication ranks the scope's videos from their buckets; videos whose buckets
 * all left the window are deleted during that scan, so state stays at the videos played in the
 * last hour.
 *
 * **When lists are published.** A scope that changed is published at the next tick of
 * `emitIntervalMs` (5 s by default: a list over an hour barely moves within seconds, and each
 * publication scans the scope's videos; one processing-time timer per scope and tick). A list
 * also changes when a bucket leaves the hour: an event-time timer at each bucket's exit
 * (one per scope and minute at most) publishes the scope again then, so an idle scope's list
 * empties out instead of freezing. `updatedTime` is the task's stream time at publication: the
 * window is the hour before it, to within the current minute.
 */
import {
  addToBucket,
  avroSerde,
  bucketIndex,
  type BucketRow,
  type BucketWindow,
  dropBefore,
  firstIndexAt,
  type GlobalTable,
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
import type {
  TrendingItem,
  TrendingList,
  TrendingScope,
} from '../schemas/generated/trendingList.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import { topicCatalog, trendingKey } from '../schemas/topics.js';
import { popularInRegion, type PopularInRegionOptions } from './popularInRegion.js';

/** Serdes of the topics this pipeline reads and writes. */
export const trendingSerdes = {
  watchSessions: { key: stringSerde, value: avroSerde(topicCatalog.watchSessions.value) },
  catalog: { key: stringSerde, value: avroSerde(topicCatalog.videoCatalog.value) },
  trending: { key: stringSerde, value: avroSerde(topicCatalog.trending.value) },
} as const;

/** Names of the stateful steps: they name the RocksDB directory, timers and internal topics. */
export const trendingNames = {
  /** Repartition by scope key: `<app>-trending-by-scope-repartition`. */
  byScope: 'trending-by-scope',
  /** Operator and store (`<app>-trending-changelog`); timers `trending-timers`. */
  lists: 'trending',
  /** The catalogue global table, when the pipeline reads it itself. */
  catalog: 'trending-catalog',
} as const;

/** The last hour, in one-minute buckets. */
export const trendingWindow = { resolutionMs: 60_000, buckets: 60 } as const satisfies BucketWindow;

/** A playback completed when it reached this share of the video's duration. */
const completedWatchRatio = 0.95;

/** Streams and tables the pipeline can share with others of one job. */
export interface TrendingInputs {
  /** Closed playbacks, e.g. the stream `watchSessions()` returns. */
  readonly watchSessions?: Stream<string, WatchSession>;
  readonly catalog?: GlobalTable<string, VideoUpload>;
}

export interface TrendingOptions {
  readonly inputs?: TrendingInputs;
  /** Videos per list. Default 50. */
  readonly topK?: number;
  /** A changed scope is published at most once per this many wall-clock ms. Default 5000. */
  readonly emitIntervalMs?: number;
  /**
   * Popular in region, from the same playbacks (`popularInRegion.ts`), published beside the
   * hourly lists; `false` leaves it out. On by default.
   */
  readonly popular?: PopularInRegionOptions | false;
}

/** One playback on its way to a scope's list (the record key is the scope key). */
export interface ScopedPlayback {
  readonly videoId: string;
  /** The playback's start time: the bucket it counts in. */
  readonly time: number;
  readonly completed: boolean;
}

/**
 * Adds the trending pipeline: watch sessions (keyed by user) + `catalog.videos` →
 * `features.trending` (keyed by scope): the hourly lists of each region and category and, from
 * the same repartitioned playbacks, each region's popular list. Returns the published lists.
 */
export function trending(
  pipeline: Pipeline,
  options: TrendingOptions = {},
): Stream<string, TrendingList> {
  const inputs = options.inputs ?? {};
  const sessions =
    inputs.watchSessions ??
    pipeline.source(topicCatalog.watchSessions.name, trendingSerdes.watchSessions, {
      name: 'trending-sessions',
    });
  const catalog =
    inputs.catalog ??
    pipeline.globalTable(topicCatalog.videoCatalog.name, trendingSerdes.catalog, {
      name: trendingNames.catalog,
    });
  const store = keyValueStore({
    name: trendingNames.lists,
    key: stringSerde,
    value: videoBucketsSerde,
  });
  const playbacks = sessions
    .filter((session) => session.totalWatchMs > 0, { name: 'trending-views' })
    .joinGlobal(catalog, (session, video) => ({ session, video }), {
      name: 'trending-catalog-join',
      key: (record) => record.value.videoId,
    })
    .flatMap(
      (record) => {
        const { session, video } = record.value;
        const playback = scopedPlayback(session, video);
        return [
          record.withKey(trendingKey('REGION', video.region)).withValue(playback),
          record.withKey(trendingKey('CATEGORY', video.category)).withValue(playback),
        ];
      },
      { name: 'trending-scopes' },
    )
    .repartition({
      name: trendingNames.byScope,
      serdes: { key: stringSerde, value: jsonSerde<ScopedPlayback>() },
    });
  const hourly = playbacks.process(
    () =>
      new TrendingOperator(store, {
        topK: options.topK ?? 50,
        emitIntervalMs: options.emitIntervalMs ?? 5000,
      }),
    {
      name: trendingNames.lists,
      changesKey: false, // published under the scope key it was grouped by
      stores: [store],
      timers: { key: stringSerde },
    },
  );
  const lists =
    options.popular === false
      ? hourly
      : hourly.merge(popularInRegion(playbacks, options.popular), { name: 'trending-lists' });
  lists.to(topicCatalog.trending.name, trendingSerdes.trending, { name: 'trending-out' });
  return lists;
}

function scopedPlayback(session: WatchSession, video: VideoUpload): ScopedPlayback {
  const duration = session.videoDurationMs ?? video.durationMs;
  return {
    videoId: session.videoId,
    time: session.startTime,
    completed: duration > 0 && session.totalWatchMs >= completedWatchRatio * duration,
  };
}

/** The scope and value a `trendingKey()` names: `region:eu-west` → REGION, eu-west. */
function scopeOf(key: string): { scope: TrendingScope; scopeValue: string } {
  const colon = key.indexOf(':');
  const prefix = key.slice(0, colon);
  if (colon < 0 || (prefix !== 'region' && prefix !== 'category')) {
    throw new Error(`trending: "${key}" is not a trending key`);
  }
  return { scope: prefix === 'region' ? 'REGION' : 'CATEGORY', scopeValue: key.slice(colon + 1) };
}

/** A video's buckets in one scope: rows `[minute, views, completed]`. */
interface VideoBuckets {
  /** Newest playback counted: the window ends at least here (stream time is not stored). */
  readonly latest: number;
  readonly rows: BucketRow[];
}

const counterCount = 2;

const videoBucketsSerde: Serde<VideoBuckets> = {
  name: 'trending-buckets',
  serialize: (value) => {
    const writer = new VarintWriter();
    writer.write(value.latest);
    writer.writeRows(value.rows, counterCount);
    return writer.finish();
  },
  deserialize: (bytes) => {
    const reader = new VarintReader(bytes, 'trending');
    const latest = reader.read();
    return { latest, rows: reader.readRows(counterCount) };
  },
};

/** Store key of a video in a scope; NUL sorts a scope's videos together, after the scope. */
function entryKey(scopeKey: string, videoId: string): string {
  return `${scopeKey}\u0000${videoId}`;
}

type TrendingContext = OperatorContext<string, TrendingList, string>;

interface RankedVideo extends TrendingItem {
  readonly entry: string;
}

class TrendingOperator implements Operator<string, ScopedPlayback, string, TrendingList> {
  private readonly definition: StoreDefinition<string, VideoBuckets>;
  private readonly settings: { readonly topK: number; readonly emitIntervalMs: number };
  private store: KeyValueState<string, VideoBuckets> | undefined;

  constructor(
    definition: StoreDefinition<string, VideoBuckets>,
    settings: { readonly topK: number; readonly emitIntervalMs: number },
  ) {
    this.definition = definition;
    this.settings = settings;
  }

  init(ctx: TrendingContext): void {
    this.store = ctx.keyValueStore(this.definition);
  }

  async process(record: StreamRecord<string, ScopedPlayback>, ctx: TrendingContext): Promise<void> {
    const store = this.requireStore();
    const playback = record.value;
    const end = Math.max(ctx.streamTime(), playback.time);
    const first = firstIndexAt(end, trendingWindow);
    const index = bucketIndex(playback.time, trendingWindow);
    if (index < first) {
      ctx.count('lateTrendingEvents');
      return;
    }
    const key = entryKey(record.key, playback.videoId);
    const previous = await store.get(key);
    const rows = dropBefore(previous?.rows ?? [], first);
    addToBucket(rows, index, [1, playback.completed ? 1 : 0]);
    store.put(key, { latest: Math.max(previous?.latest ?? 0, playback.time), rows });
    // The list changes again when this bucket leaves the hour.
    ctx.timers.scheduleEventTime(record.key, leavesWindowAt(index, trendingWindow));
    this.scheduleEmit(record.key, ctx);
  }

  async onTimer(timer: Timer<string>, ctx: TrendingContext): Promise<void> {
    if (timer.kind === 'eventTime') {
      this.scheduleEmit(timer.key, ctx);
      return;
    }
    const store = this.requireStore();
    const entries: [string, VideoBuckets][] = [];
    for await (const entry of store.range({
      from: entryKey(timer.key, ''),
      to: `${timer.key}\u0001`,
    })) {
      entries.push([entry[0], entry[1]]);
    }
    if (entries.length === 0) {
      return; // nothing left since the last (empty) list: an exit timer of a deleted video
    }
    const end = Math.max(ctx.streamTime(), ...entries.map(([, video]) => video.latest));
    const first = firstIndexAt(end, trendingWindow);
    const ranked: RankedVideo[] = [];
    // Written after the scan: the range iterator is not asked to see its own writes.
    for (const [entry, video] of entries) {
      const rows = dropBefore(video.rows, first);
      if (rows.length === 0) {
        store.delete(entry);
        continue;
      }
      if (rows.length !== video.rows.length) {
        store.put(entry, { ...video, rows });
      }
      const [views = 0, completed = 0] = sumFrom(rows, first, counterCount);
      ranked.push({
        entry,
        videoId: entry.slice(timer.key.length + 1),
        score: views + completed,
        views,
      });
    }
    ranked.sort(
      (a, b) =>
        b.score - a.score ||
        b.views - a.views ||
        (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0),
    );
    const items = ranked
      .slice(0, this.settings.topK)
      .map(({ videoId, score, views }): TrendingItem => ({ videoId, score, views }));
    const value: TrendingList = {
      ...scopeOf(timer.key),
      windowMs: trendingWindow.resolutionMs * trendingWindow.buckets,
      items,
      updatedTime: end,
    };
    ctx.forward(StreamRecord.of({ key: timer.key, value, timestamp: end }));
  }

  /** Publishes the scope at the next tick of the emit interval (one timer per scope and tick). */
  private scheduleEmit(scopeKey: string, ctx: TrendingContext): void {
    const interval = this.settings.emitIntervalMs;
    ctx.timers.scheduleProcessingTime(
      scopeKey,
      (Math.floor(ctx.wallClockTime() / interval) + 1) * interval,
    );
  }

  private requireStore(): KeyValueState<string, VideoBuckets> {
    if (this.store === undefined) {
      throw new Error('trending: process() before init()');
    }
    return this.store;
  }
}
