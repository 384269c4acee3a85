/**
 * Popular in a region: each region's top-K videos by playbacks decayed exponentially with a
 * half-life of days (7 by default), published to `features.trending` under `popular:<region>`
 * (scope POPULAR). Trending answers "what is hot this hour"; this answers "what does this
 * region watch", the seed's fallback when personalisation cannot answer, and a candidate
 * source beside trending. An hour of a quiet region, or of a replayed data set, is a handful
 * of playbacks; weeks of them are a list worth showing.
 *
 * **Input.** The trending pipeline's playbacks, already repartitioned by scope key: the
 * `region:<region>` ones, each with its start time and whether it completed. No further
 * repartition: every playback of a region is in the region's task already.
 *
 * **Score.** Σ w·2^(−(T − t)/h) over the region's playbacks of the video, started at t,
 * weighted w = 2 when completed and 1 otherwise (trending's views + completed views), decayed to
 * the list's time T with half-life h. Ties: more views (undecayed), then video id.
 *
 * **Exact top-K, kept incrementally.** Every video's score decays by the same factor, so the
 * order of two videos never changes with time, only when one of them is played. The store
 * therefore keeps each video's mass as log2 Σ w·2^(t/h), a number that only grows (in log
 * form, so it does not overflow), and each region's top-K by that mass. A playback raises one
 * video's mass; the video enters the top-K only if it now beats the K-th, so the list stays
 * exactly the batch top-K without ever scanning the region's videos. The sum is order-free:
 * out-of-order and late playbacks count like any other (there is no window to be late for).
 *
 * **State.** One entry per region and video ever played there (a mass and a count), and one
 * list per region. Entries are not evicted yet: a video unplayed for ten half-lives weighs a
 * thousandth of one playback and could go, at the cost of the list's exactness at that margin.
 *
 * **When lists are published.** A region whose list changed is published at the next tick of
 * `emitIntervalMs` (5 s by default), as trending does; scores are decayed to the task's stream
 * time then.
 */
import {
  jsonSerde,
  keyValueStore,
  StreamRecord,
  stringSerde,
  type HeldUpdate,
  type KeyValueState,
  type Operator,
  type OperatorContext,
  type StoreDefinition,
  type Stream,
  type Timer,
} from '../operators/index.js';
import type { TrendingItem, TrendingList } from '../schemas/generated/trendingList.js';
import { trendingKey } from '../schemas/topics.js';
import type { ScopedPlayback } from './trending.js';

/** Names of the stateful steps: they name the RocksDB directories, timers and changelogs. */
export const popularInRegionNames = {
  /** Operator, its timers, and the store of each region's top-K. */
  lists: 'popular-in-region',
  /** Every played video's mass per region. */
  videos: 'popular-in-region-videos',
} as const;

export interface PopularInRegionOptions {
  /** Half-life of a playback's weight. Default 7 days. */
  readonly halfLifeMs?: number;
  /** Videos per list. Default 50. */
  readonly topK?: number;
  /** A changed region is published at most once per this many wall-clock ms. Default 5000. */
  readonly emitIntervalMs?: number;
}

export const defaultPopularHalfLifeMs = 7 * 24 * 3_600_000;

/** The prefix of the playbacks' scope keys this pipeline takes (`trendingKey('REGION', …)`). */
const regionPrefix = trendingKey('REGION', '');

/** One video of a region: log2 of its undecayed weight sum, and its playbacks. */
interface VideoMass {
  readonly videoId: string;
  readonly log2Mass: number;
  readonly views: number;
}

/** A region's top-K, best first. */
interface RegionTop {
  readonly region: string;
  /** Start time of the newest playback that changed the list. */
  readonly latest: number;
  readonly items: readonly VideoMass[];
}

/**
 * Adds popular-in-region on the trending pipeline's playbacks keyed by scope key (other scopes
 * are skipped). Returns the lists, keyed `popular:<region>`.
 */
export function popularInRegion(
  playbacksByScope: Stream<string, ScopedPlayback>,
  options: PopularInRegionOptions = {},
): Stream<string, TrendingList> {
  const videos = keyValueStore({
    name: popularInRegionNames.videos,
    key: stringSerde,
    value: jsonSerde<VideoMass>(),
  });
  const lists = keyValueStore({
    name: popularInRegionNames.lists,
    key: stringSerde,
    value: jsonSerde<RegionTop>(),
  });
  return playbacksByScope
    .filter((_value, record) => record.key.startsWith(regionPrefix), {
      name: 'popular-in-region-playbacks',
    })
    .process(
      () =>
        new PopularInRegionOperator(
          { videos, lists },
          {
            halfLifeMs: options.halfLifeMs ?? defaultPopularHalfLifeMs,
            topK: options.topK ?? 50,
            emitIntervalMs: options.emitIntervalMs ?? 5000,
          },
        ),
      {
        name: popularInRegionNames.lists,
        // Keyed popular:<region> instead of region:<region>: the same partition's records,
        // published to a one-partition table topic, never joined on this key downstream.
        changesKey: true,
        stores: [videos, lists],
        timers: { key: stringSerde },
      },
    );
}

/** log2(2^a + 2^b) without leaving log space (masses are thousands: 2^a would overflow). */
export function log2AddExp(a: number, b: number): number {
  const high = Math.max(a, b);
  const low = Math.min(a, b);
  return high + Math.log1p(Math.pow(2, low - high)) / Math.LN2;
}

/** Best first: higher mass, then more views, then video id. */
function compareMass(a: VideoMass, b: VideoMass): number {
  return (
    b.log2Mass - a.log2Mass ||
    b.views - a.views ||
    (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0)
  );
}

type PopularContext = OperatorContext<string, TrendingList, string>;

interface Settings {
  readonly halfLifeMs: number;
  readonly topK: number;
  readonly emitIntervalMs: number;
}

class PopularInRegionOperator implements Operator<string, ScopedPlayback, string, TrendingList> {
  private videos: KeyValueState<string, VideoMass> | undefined;
  private lists: KeyValueState<string, RegionTop> | undefined;
  /**
   * Lists changed since the last commit, decoded. A region's list changes with most of its
   * playbacks (the popular videos are the ones played), and the commit needs only the last
   * version: under exactly-once a list is encoded and written once per commit
   * ({@link takeHeld}) instead of on every playback (on the load run the difference was within
   * the spread between runs, docs/load.md). At-least-once stores record with each write which
   * input it includes, so there lists are also written as they change.
   */
  private changed = new Map<string, RegionTop>();
  private writesAtCommitOnly = false;

  constructor(
    private readonly definitions: {
      readonly videos: StoreDefinition<string, VideoMass>;
      readonly lists: StoreDefinition<string, RegionTop>;
    },
    private readonly settings: Settings,
  ) {}

  init(ctx: PopularContext): void {
    this.videos = ctx.keyValueStore(this.definitions.videos);
    this.lists = ctx.keyValueStore(this.definitions.lists);
    this.writesAtCommitOnly = !ctx.stateStore(this.definitions.lists.name).carriesPositions;
  }

  takeHeld(): readonly HeldUpdate<string, TrendingList>[] {
    const lists = this.requireStores().lists;
    const changed = [...this.changed];
    this.changed = new Map();
    return changed.map(([listKey, top]) => ({
      keyBytes: Buffer.from(listKey),
      apply: () => {
        if (this.writesAtCommitOnly) {
          lists.put(listKey, top);
        }
      },
    }));
  }

  /** A region's list as it stands: changed since the commit, or as stored. */
  private async list(listKey: string): Promise<RegionTop | undefined> {
    return this.changed.get(listKey) ?? (await this.requireStores().lists.get(listKey));
  }

  async process(record: StreamRecord<string, ScopedPlayback>, ctx: PopularContext): Promise<void> {
    const { videos, lists } = this.requireStores();
    const playback = record.value;
    const region = record.key.slice(regionPrefix.length);
    const listKey = trendingKey('POPULAR', region);
    const weight = playback.completed ? 2 : 1;
    const added = playback.time / this.settings.halfLifeMs + Math.log2(weight);
    const entry = `${record.key}\u0000${playback.videoId}`;
    const previous = await videos.get(entry);
    const video: VideoMass = {
      videoId: playback.videoId,
      log2Mass: previous === undefined ? added : log2AddExp(previous.log2Mass, added),
      views: (previous?.views ?? 0) + 1,
    };
    videos.put(entry, video);
    const previousTop = await this.list(listKey);
    const top = previousTop?.items ?? [];
    const last = top[top.length - 1];
    const listed = top.some((v) => v.videoId === video.videoId);
    if (!listed && top.length >= this.settings.topK && last && compareMass(video, last) > 0) {
      return; // below the K-th: the list is unchanged
    }
    const items = [...top.filter((v) => v.videoId !== video.videoId), video]
      .sort(compareMass)
      .slice(0, this.settings.topK);
    const next: RegionTop = {
      region,
      latest: Math.max(previousTop?.latest ?? 0, playback.time),
      items,
    };
    this.changed.set(listKey, next);
    if (!this.writesAtCommitOnly) {
      lists.put(listKey, next);
    }
    const interval = this.settings.emitIntervalMs;
    ctx.timers.scheduleProcessingTime(
      listKey,
      (Math.floor(ctx.wallClockTime() / interval) + 1) * interval,
    );
  }

  async onTimer(timer: Timer<string>, ctx: PopularContext): Promise<void> {
    const top = await this.list(timer.key);
    if (top === undefined) {
      return;
    }
    // A task restored from its changelog starts with no stream time: the list's own latest
    // playback still dates it.
    const at = Math.max(ctx.streamTime(), top.latest);
    const decayTo = at / this.settings.halfLifeMs;
    const items = top.items.map((v): TrendingItem => ({
      videoId: v.videoId,
      score: Math.pow(2, v.log2Mass - decayTo),
      views: v.views,
    }));
    const value: TrendingList = {
      scope: 'POPULAR',
      scopeValue: top.region,
      windowMs: this.settings.halfLifeMs,
      items,
      updatedTime: at,
    };
    ctx.forward(StreamRecord.of({ key: timer.key, value, timestamp: at }));
  }

  private requireStores(): {
    videos: KeyValueState<string, VideoMass>;
    lists: KeyValueState<string, RegionTop>;
  } {
    if (this.videos === undefined || this.lists === undefined) {
      throw new Error('popular in region: process() before init()');
    }
    return { videos: this.videos, lists: this.lists };
  }
}
