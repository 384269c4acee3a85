import {
  avroBinarySerde,
  avroSerde,
  jsonSerde,
  type AvroSchema,
  type Pipeline,
  type Stream,
  stringSerde,
} from '../operators/index.js';
import {
  coVisitationSchema,
  type CoVisitation,
  type Neighbour,
} from '../schemas/generated/coVisitation.js';
import type { VideoViews } from '../schemas/generated/videoViews.js';
import { watchEndSchema, type WatchEnd } from '../schemas/generated/watchEnd.js';
import { topicCatalog, topics } from '../schemas/topics.js';
import { insertRecent } from './recentList.js';
import { addDecayed, decayTo, type DecayedValue } from './timeDecay.js';

/**
 * Co-visitation, item-to-item collaborative filtering: for each video (the anchor), the videos
 * most often watched by the same users close in time, scored as a share of the anchor's views, published
 * to the compacted `features.co-visitation` topic keyed by video.
 *
 * **Co-visit.** Two watches of one user are a co-visit of their videos when their event times
 * are at most `windowMs` apart (1 hour by default) and the earlier video is still among the
 * user's `recentSize` (10) most recent distinct videos. A watch counts when it played at least
 * `minWatchMs` (3 s): a swipe past a video is an impression, not a visit. A co-visit happens at
 * the later of the two watch times.
 *
 * **Score.** `score(a, b) = covisits(a, b) / views(a)`, clamped to [0, 1]: the share of the
 * anchor's views that the neighbour was watched close to, where both are exponentially decayed
 * counts (half-life `halfLifeMs`, 7 days by default) so the neighbours follow recent behaviour
 * and old co-visits fade rather than drop off a window edge. Both decay at the same rate, so the
 * score does not depend on the time it is read at. (A user who watches a, b, then a again within
 * the window co-visits the pair twice with one view of b, so a raw score can exceed 1: hence
 * the clamp.) The published `count` is the raw, undecayed number of co-visits of the pair.
 * Until 2026-12-05 the score was cosine, `covisits / sqrt(views(a) · views(b))`, with the
 * neighbour's views read from the global table `features.co-visitation-views` inside this job
 * as its co-visits were counted: a value that depended on how far that table had got, so two
 * runs over the same data published different neighbours (docs/evaluation.md, "Determinism").
 *
 * **Deterministic.** Kafka keeps each user's watches in order, but the steps keyed by video,
 * pair and anchor read what several tasks wrote, in whatever order those tasks ran. Every step
 * is therefore a fold whose result does not depend on that order: decayed sums (exact up to
 * floating-point rounding, see timeDecay.ts), counts and maxima; each message that crosses to
 * the next step carries a running total from a single writer per key (so the last one read is
 * the final one); and the bounded candidates keep the strongest by those totals (below). Two
 * runs over the same watches publish the same table once every watch is processed. Sums that
 * differ only in their last digits (added in another order) rank as equal, then by count, then
 * by id. The test "the final neighbours do not depend on how users' watches interleave" holds
 * this.
 *
 * **Dataflow**, four stateful steps, each an aggregation (so state converges under
 * at-least-once replays too):
 * 1. `co-visitation-recent`, by user (the input's partitioning, no repartition): the user's
 *    recent watches. Each new watch of a video b sends one message, to b, naming the recent
 *    videos within the window (b's co-visits, in both directions).
 * 2. `co-visitation-views`, by video, through the repartition topic `co-visitation-by-video`:
 *    views per video (decayed), also published to the compacted `features.co-visitation-views`.
 *    The watch of b sends on its views (keyed by b) and one message per co-visit, keyed by the
 *    unordered pair ({@link pairKey}).
 * 3. `co-visitation-pairs`, by pair, through `co-visitation-by-pair`: each pair's decayed
 *    co-visits and count, sent as they now stand to both of its videos as anchors; a video's
 *    views pass through to it.
 * 4. `co-visitation`, by anchor, through `co-visitation-by-anchor`: the anchor's own views and
 *    its neighbour candidates (each the pair's latest total), from which the top `topK` (20) are
 *    published. The topic's combiner sends what a task of step 3 has for one anchor at a commit
 *    as one message.
 *
 * **Bounds.**
 * - Each anchor keeps at most `candidates` (100) neighbours: when one more would exceed that,
 *   the one with the fewest decayed co-visits goes (that ranking does not change as time passes,
 *   see `strongest` in timeDecay.ts). An evicted neighbour that is co-visited again comes back
 *   with the pair's whole total from step 3, so the candidates kept are the strongest by their
 *   final totals, whatever the order. Step 3 holds one small record per pair ever co-visited.
 * - A user's recent list holds at most `recentSize` videos and only those watched at most
 *   `windowMs + latenessMs` before the user's newest watch (`latenessMs` defaults to the
 *   window): a watch up to `latenessMs` late still meets every video it co-visits, a later one
 *   only those still kept.
 *
 * Emission: an anchor that has candidates publishes its neighbours once per commit of its task
 * in which it was updated (the step's `emit: 'onCommit'`). Per qualifying watch with k co-visits
 * that is one message through `co-visitation-by-video` and `k + 1` through
 * `co-visitation-by-pair`; through `co-visitation-by-anchor`, at most `2k + 1`, and one per
 * anchor and commit of a step-3 task whatever the number of watches.
 */

/** Topics of the pipeline. */
export const coVisitationTopics = {
  watchEnds: topics.watchEnds,
  output: topics.coVisitation,
  views: topics.coVisitationViews,
} as const;

/** Serdes of the pipeline's topics: watch ends keyed by user id, the output by video id. */
export const coVisitationSerdes = {
  watchEnds: { key: stringSerde, value: avroSerde(watchEndSchema) },
  output: { key: stringSerde, value: avroSerde(coVisitationSchema) },
  views: { key: stringSerde, value: avroSerde(topicCatalog.coVisitationViews.value) },
} as const;

/** How co-visits are counted and scored; every field has a default. */
export interface CoVisitationOptions {
  /** Watches of one user at most this far apart co-visit. Default 1 hour. */
  readonly windowMs?: number;
  /** How late a watch may be and still meet every video it co-visits. Default `windowMs`. */
  readonly latenessMs?: number;
  /** Recent distinct videos per user a new watch is paired with. Default 10. */
  readonly recentSize?: number;
  /** A watch counts from this much playback. Default 3 s. */
  readonly minWatchMs?: number;
  /** Half-life of the co-visit and view counts. Default 7 days. */
  readonly halfLifeMs?: number;
  /** Neighbour candidates kept per anchor. Default 100. */
  readonly candidates?: number;
  /** Neighbours published per anchor, best first. Default 20. */
  readonly topK?: number;
  /** Co-visits a neighbour needs to be published. Default 1. */
  readonly minCount?: number;
}

interface Settings {
  readonly windowMs: number;
  readonly latenessMs: number;
  readonly recentSize: number;
  readonly minWatchMs: number;
  readonly halfLifeMs: number;
  readonly candidates: number;
  readonly topK: number;
  readonly minCount: number;
}

const hour = 3_600_000;

function settingsOf(options: CoVisitationOptions): Settings {
  const windowMs = options.windowMs ?? hour;
  return {
    windowMs,
    latenessMs: options.latenessMs ?? windowMs,
    recentSize: options.recentSize ?? 10,
    minWatchMs: options.minWatchMs ?? 3_000,
    halfLifeMs: options.halfLifeMs ?? 7 * 24 * hour,
    candidates: options.candidates ?? 100,
    topK: options.topK ?? 20,
    minCount: options.minCount ?? 1,
  };
}

/** A co-visit with a recent video, as step 1 finds it. */
interface CoVisit {
  readonly video: string;
  readonly time: number;
}

/** From step 1 to step 2, keyed by `video`: a watch of it and its co-visits with recent videos. */
interface ByVideoMessage {
  readonly video: string;
  readonly time: number;
  readonly coVisits: readonly CoVisit[];
}

/**
 * From step 2 to step 3, keyed by {@link pairKey} for a co-visit (one message per co-visit, for
 * both directions), or by the video for its views.
 */
type ByPairMessage =
  | { readonly kind: 'views'; readonly video: string; readonly views: DecayedValue }
  | { readonly kind: 'covisit'; readonly time: number };

/**
 * From step 3 to step 4, keyed by anchor: the anchor's views as they stand, or one neighbour's
 * co-visits with it as they stand (the pair's whole decayed sum and count, not an increment).
 */
type AnchorUpdate =
  | { readonly kind: 'views'; readonly views: DecayedValue }
  | {
      readonly kind: 'pair';
      readonly neighbour: string;
      readonly covisits: DecayedValue;
      readonly count: number;
      readonly latest: number;
    };

/**
 * What crosses `co-visitation-by-anchor`: the updates of one anchor that a task of step 3 sent
 * between two of its commits, in order (the topic's combiner gathers them). A single update is
 * what the topic carried before 2026-12-07, still read.
 */
type AnchorMessage = AnchorUpdate | readonly AnchorUpdate[];

function updatesOf(message: AnchorMessage): readonly AnchorUpdate[] {
  // Array.isArray narrows a readonly array to any[]: the cast restores its element type.
  return Array.isArray(message) ? (message as readonly AnchorUpdate[]) : [message as AnchorUpdate];
}

/** Step 1's state per user; `out` holds what the latest watch emits. */
interface RecentWatches {
  readonly latest: number;
  readonly recent: readonly { readonly videoId: string; readonly eventTime: number }[];
  readonly out: ByVideoMessage | null;
}

/** Step 2's state per video; `out` holds what the latest message sends on. */
interface VideoViewsState {
  readonly views: DecayedValue | null;
  readonly out: readonly { readonly key: string; readonly message: ByPairMessage }[];
}

/** Step 3's state per pair (or video, for its views); `out` holds what the latest message sends. */
interface PairState {
  readonly covisits: DecayedValue | null;
  readonly count: number;
  readonly latest: number;
  readonly out: readonly { readonly anchor: string; readonly update: AnchorUpdate }[];
}

interface Candidate {
  readonly videoId: string;
  readonly covisits: DecayedValue;
  readonly count: number;
}

/** Step 4's state per anchor. */
interface AnchorState {
  readonly views: DecayedValue | null;
  /**
   * At most `candidates`, in no particular order. A list, not a map: the state is copied on
   * every co-visit of its anchor, and copying a list of a hundred is a fraction of building a
   * hundred-key object.
   */
  readonly candidates: readonly Candidate[];
  /** The latest co-visit counted. */
  readonly updatedTime: number;
}

/** {@link DecayedValue} as an Avro record, named so the schema below can refer to it again. */
const decayedValueSchema = {
  type: 'record',
  name: 'DecayedValue',
  fields: [
    { name: 'score', type: 'double' },
    { name: 'updatedTime', type: 'double' },
  ],
} as const;

/**
 * Step 4's state in the store and its changelog, in Avro binary: it is the job's largest value
 * (up to `candidates` neighbours) and is written on every co-visit of its anchor, where JSON
 * took three times as long to encode, at three times the size.
 */
const anchorStateSchema: AvroSchema<AnchorState> = {
  name: 'reelstream.state.CoVisitationAnchor',
  definition: {
    type: 'record',
    name: 'CoVisitationAnchor',
    namespace: 'reelstream.state',
    fields: [
      { name: 'views', type: ['null', decayedValueSchema] },
      {
        name: 'candidates',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Candidate',
            fields: [
              { name: 'videoId', type: 'string' },
              { name: 'covisits', type: 'DecayedValue' },
              { name: 'count', type: 'double' },
            ],
          },
        },
      },
      { name: 'updatedTime', type: 'double' },
    ],
  },
};

const byVideoSerdes = { key: stringSerde, value: jsonSerde<ByVideoMessage>() };
const byPairSerdes = { key: stringSerde, value: jsonSerde<ByPairMessage>() };
const byAnchorSerdes = { key: stringSerde, value: jsonSerde<AnchorMessage>() };

/**
 * Adds the co-visitation pipeline to `pipeline`: reads `events.watch-ends` (keyed by user) and
 * writes `features.co-visitation` (keyed by video). A job that reads watch ends for other
 * pipelines too must read them once and pass the stream to {@link coVisitationStream}.
 */
export function coVisitation(pipeline: Pipeline, options: CoVisitationOptions = {}): void {
  const watchEnds = pipeline.source(coVisitationTopics.watchEnds, coVisitationSerdes.watchEnds, {
    name: 'co-visitation-watch-ends',
  });
  coVisitationStream(pipeline, watchEnds, options).to(
    coVisitationTopics.output,
    coVisitationSerdes.output,
    { name: 'co-visitation-out' },
  );
}

/**
 * Co-visitation neighbours as a stream keyed by anchor video, one record per update of an
 * anchor that has candidates. `watchEnds` must be keyed by user id. Also writes the views of
 * step 2 to `features.co-visitation-views`.
 */
export function coVisitationStream(
  // Kept for the callers: the pipeline no longer reads a global table of its own.
  _pipeline: Pipeline,
  watchEnds: Stream<string, WatchEnd>,
  options: CoVisitationOptions = {},
): Stream<string, CoVisitation> {
  const settings = settingsOf(options);
  const byVideo = watchEnds
    .filter((end) => end.watchedMs >= settings.minWatchMs, { name: 'co-visitation-visits' })
    .groupByKey({
      // Keyed by user already: no repartition (the serde would only serve a re-keyed input).
      name: 'co-visitation-by-user',
      serdes: coVisitationSerdes.watchEnds,
    })
    .aggregate({
      name: 'co-visitation-recent',
      initializer: (): RecentWatches => ({
        latest: Number.MIN_SAFE_INTEGER,
        recent: [],
        out: null,
      }),
      adder: (state, end) => addWatch(state, { video: end.videoId, time: end.eventTime }, settings),
      serde: jsonSerde<RecentWatches>(),
    })
    .toStream()
    .flatMap(
      (record) => {
        const out = record.value.out;
        return out === null ? [] : [record.withKey(out.video).withValue(out)];
      },
      { name: 'co-visitation-to-videos' },
    );
  const views = byVideo
    .groupByKey({ name: 'co-visitation-by-video', serdes: byVideoSerdes })
    .aggregate({
      name: 'co-visitation-views',
      initializer: (): VideoViewsState => ({ views: null, out: [] }),
      adder: (state, message, record) => countView(state, { message, video: record.key }, settings),
      serde: jsonSerde<VideoViewsState>(),
    })
    .toStream();
  views
    .filter((state) => state.views !== null, { name: 'co-visitation-viewed' })
    .mapValues(
      (state, record): VideoViews => ({
        videoId: record.key,
        views: state.views?.score ?? 0,
        updatedTime: state.views?.updatedTime ?? 0,
      }),
      { name: 'co-visitation-views-records' },
    )
    .to(coVisitationTopics.views, coVisitationSerdes.views, {
      name: 'co-visitation-views-out',
      latestPerKey: true,
    });
  return views
    .flatMap((record) => record.value.out.map((m) => record.withKey(m.key).withValue(m.message)), {
      name: 'co-visitation-to-pairs',
    })
    .groupByKey({ name: 'co-visitation-by-pair', serdes: byPairSerdes })
    .aggregate({
      name: 'co-visitation-pairs',
      initializer: (): PairState => ({
        covisits: null,
        count: 0,
        latest: Number.MIN_SAFE_INTEGER,
        out: [],
      }),
      adder: (state, message, record) => addToPair(state, { message, key: record.key }, settings),
      serde: jsonSerde<PairState>(),
      // What it sends are running totals, of which the anchors keep the latest: once per commit
      // is enough (a pair co-visited by many users in one commit sends its totals once).
      emit: 'onCommit',
    })
    .toStream()
    .flatMap(
      (record) =>
        record.value.out.map((o) => record.withKey(o.anchor).withValue<AnchorMessage>([o.update])),
      { name: 'co-visitation-to-anchors' },
    )
    .groupByKey({
      name: 'co-visitation-by-anchor',
      serdes: byAnchorSerdes,
      // A pair sends its totals to both videos, so a task's commit sends a popular anchor many
      // updates: one message per anchor a commit is a third of them (docs/load.md), and step 4
      // reads and bounds the anchor's candidates once for all.
      combine: (earlier, later) => [...updatesOf(earlier), ...updatesOf(later)],
    })
    .aggregate({
      name: 'co-visitation',
      initializer: (): AnchorState => ({
        views: null,
        candidates: [],
        updatedTime: Number.MIN_SAFE_INTEGER,
      }),
      adder: (state, message) => addToAnchor(state, updatesOf(message), settings),
      serde: avroBinarySerde(anchorStateSchema),
      // A popular anchor takes a co-visit every few milliseconds; its neighbours are read as a
      // table (latest per video), so encode, store and publish it once per commit.
      emit: 'onCommit',
    })
    .toStream()
    .filter((state) => state.candidates.length > 0, {
      name: 'co-visitation-has-candidates',
    })
    .mapValues((state, record) => neighboursOf(state, { anchor: record.key, settings }), {
      name: 'co-visitation-neighbours',
    });
}

/**
 * The key of an unordered pair of videos in step 3: the smaller id, NUL, the larger. A video's
 * own key (its views) has no NUL, so the two never meet.
 */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/** Step 1: a user's qualifying watch; emits it with its co-visits of recent watches. */
function addWatch(
  state: RecentWatches,
  watch: { readonly video: string; readonly time: number },
  settings: Settings,
): RecentWatches {
  const coVisits: CoVisit[] = [];
  for (const earlier of state.recent) {
    if (
      earlier.videoId !== watch.video &&
      Math.abs(earlier.eventTime - watch.time) <= settings.windowMs
    ) {
      coVisits.push({ video: earlier.videoId, time: Math.max(earlier.eventTime, watch.time) });
    }
  }
  const latest = Math.max(state.latest, watch.time);
  const horizon = latest - settings.windowMs - settings.latenessMs;
  const recent = insertRecent(
    state.recent,
    { videoId: watch.video, eventTime: watch.time },
    settings.recentSize,
  ).filter((r) => r.eventTime >= horizon);
  return { latest, recent, out: { video: watch.video, time: watch.time, coVisits } };
}

/**
 * Step 2: counts a video's views; sends them on (keyed by the video), and each co-visit of the
 * watch to its pair. Nothing sent depends on what other videos' tasks have done.
 */
function countView(
  state: VideoViewsState,
  input: { readonly message: ByVideoMessage; readonly video: string },
  settings: Settings,
): VideoViewsState {
  const { message, video } = input;
  const views = addDecayed(
    state.views ?? undefined,
    { weight: 1, time: message.time },
    settings.halfLifeMs,
  );
  const out: { key: string; message: ByPairMessage }[] = [
    { key: video, message: { kind: 'views', video, views } },
  ];
  for (const { video: other, time } of message.coVisits) {
    out.push({ key: pairKey(video, other), message: { kind: 'covisit', time } });
  }
  return { views, out };
}

/**
 * Step 3: a pair's co-visits, summed whatever order they come in, sent as they now stand to
 * both of its videos as anchors; a video's views pass through to it as anchor.
 */
function addToPair(
  state: PairState,
  input: { readonly message: ByPairMessage; readonly key: string },
  settings: Settings,
): PairState {
  const { message, key } = input;
  if (message.kind === 'views') {
    return { ...state, out: [{ anchor: message.video, update: message }] };
  }
  const nul = key.indexOf('\u0000');
  const [a, b] = [key.slice(0, nul), key.slice(nul + 1)];
  const covisits = addDecayed(
    state.covisits ?? undefined,
    { weight: 1, time: message.time },
    settings.halfLifeMs,
  );
  const count = state.count + 1;
  const latest = Math.max(state.latest, message.time);
  const pair = { kind: 'pair', covisits, count, latest } as const;
  return {
    covisits,
    count,
    latest,
    out: [
      { anchor: a, update: { ...pair, neighbour: b } },
      { anchor: b, update: { ...pair, neighbour: a } },
    ],
  };
}

/**
 * Step 4: the anchor's views, or a neighbour's co-visits as they now stand (replacing what the
 * anchor had of it), in order, then the candidates bounded to the strongest (see
 * {@link strongerThan}). Every message carries a running total that only grows, so the
 * candidates kept at the end are the strongest `candidates` by their final co-visits whatever
 * order the messages came in, and however many are applied before bounding: one evicted earlier
 * comes back with its whole total, not a restart, when it is updated again.
 */
function addToAnchor(
  state: AnchorState,
  updates: readonly AnchorUpdate[],
  settings: Settings,
): AnchorState {
  let views = state.views;
  let candidates: Candidate[] | undefined;
  let at: Map<string, number> | undefined;
  let updatedTime = state.updatedTime;
  for (const update of updates) {
    if (update.kind === 'views') {
      views = update.views;
      continue;
    }
    candidates ??= state.candidates.slice();
    at ??= new Map(candidates.map((c, i) => [c.videoId, i]));
    const updated: Candidate = {
      videoId: update.neighbour,
      covisits: update.covisits,
      count: update.count,
    };
    const index = at.get(update.neighbour);
    if (index === undefined) {
      at.set(update.neighbour, candidates.length);
      candidates.push(updated);
    } else {
      candidates[index] = updated;
    }
    updatedTime = Math.max(updatedTime, update.latest);
  }
  return {
    views,
    // The order kept does not matter: neighboursOf sorts.
    candidates: candidates === undefined ? state.candidates : bounded(candidates, settings),
    updatedTime,
  };
}

/**
 * Relative difference below which two decayed sums count as equal: a sum's value depends on the
 * order its terms were added in, by a few units in the last place, and equal sums must rank
 * alike in every run (by count, then id).
 */
const sameSum = 1e-9;

/** Strength of each candidate at one common time (every sum decays at the same rate). */
function strengths(candidates: readonly Candidate[], halfLifeMs: number): number[] {
  let now = Number.NEGATIVE_INFINITY;
  for (const c of candidates) {
    now = Math.max(now, c.covisits.updatedTime);
  }
  return candidates.map((c) => decayTo(c.covisits, now, halfLifeMs));
}

/**
 * Whether candidate `a` (strength `sa`) ranks before `b`: more decayed co-visits (equal within
 * {@link sameSum}), then more co-visits, then the smaller id. A strict total order on what the
 * state holds, the same in every run.
 */
function strongerThan(
  [a, sa]: readonly [Candidate, number],
  [b, sb]: readonly [Candidate, number],
): boolean {
  if (Math.abs(sa - sb) > sameSum * Math.max(Math.abs(sa), Math.abs(sb))) {
    return sa > sb;
  }
  if (a.count !== b.count) {
    return a.count > b.count;
  }
  return a.videoId < b.videoId;
}

/** The candidates in rank order ({@link strongerThan}). */
function ranked(candidates: readonly Candidate[], halfLifeMs: number): Candidate[] {
  const s = strengths(candidates, halfLifeMs);
  return candidates
    .map((c, i) => ({ c, s: s[i] ?? 0 }))
    .sort((x, y) =>
      strongerThan([x.c, x.s], [y.c, y.s]) ? -1 : strongerThan([y.c, y.s], [x.c, x.s]) ? 1 : 0,
    )
    .map((x) => x.c);
}

/** `candidates` bounded to `settings.candidates`: the weakest go. */
function bounded(candidates: Candidate[], settings: Settings): readonly Candidate[] {
  if (candidates.length <= settings.candidates) {
    return candidates;
  }
  if (candidates.length > settings.candidates + 1) {
    return ranked(candidates, settings.halfLifeMs).slice(0, settings.candidates);
  }
  // One over (the usual case): drop the weakest without ranking the rest.
  const s = strengths(candidates, settings.halfLifeMs);
  let weakest = 0;
  for (let i = 1; i < candidates.length; i++) {
    const c = candidates[i];
    const w = candidates[weakest];
    if (c !== undefined && w !== undefined && strongerThan([w, s[weakest] ?? 0], [c, s[i] ?? 0])) {
      weakest = i;
    }
  }
  return candidates.filter((_, index) => index !== weakest);
}

/**
 * The published record: the top-K candidates, each scored by its co-visits over the anchor's
 * views (the share of the anchor's decayed views that were followed or preceded by the
 * neighbour within the window), clamped to [0, 1]. For one anchor this ranks as the co-visits
 * do, so the list is the strongest candidates, best first.
 */
function neighboursOf(
  state: AnchorState,
  context: { readonly anchor: string; readonly settings: Settings },
): CoVisitation {
  const { halfLifeMs, minCount, topK } = context.settings;
  const candidates = ranked(
    state.candidates.filter((c) => c.count >= minCount),
    halfLifeMs,
  ).slice(0, topK);
  // Any common time gives the same scores; the newest reference time avoids growing values.
  const now = Math.max(
    state.views?.updatedTime ?? Number.MIN_SAFE_INTEGER,
    ...candidates.map((c) => c.covisits.updatedTime),
  );
  const anchorViews = state.views === null ? 0 : decayTo(state.views, now, halfLifeMs);
  const neighbours: Neighbour[] = candidates.map((c) => {
    const covisits = decayTo(c.covisits, now, halfLifeMs);
    const score = anchorViews > 0 ? Math.min(1, covisits / anchorViews) : 0;
    return { videoId: c.videoId, score, count: c.count };
  });
  return { videoId: context.anchor, neighbours, updatedTime: state.updatedTime };
}
