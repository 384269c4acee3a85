import {
  avroBinarySerde,
  avroSerde,
  jsonSerde,
  type AvroSchema,
  type Operator,
  type OperatorContext,
  type Pipeline,
  type Stream,
  type StreamRecord,
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
import { addDecayed, boundedListByStrength, decayTo, type DecayedValue } from './timeDecay.js';

/**
 * Co-visitation, item-to-item collaborative filtering: for each video (the anchor), the videos
 * most often watched by the same users close in time, scored against their popularity, published
 * to the compacted `features.co-visitation` topic keyed by video.
 *
 * **Co-visit.** Two watches of one user are a co-visit of their videos when their event times
 * are at most `windowMs` apart (1 hour by default) and the earlier video is still among the
 * user's `recentSize` (10) most recent distinct videos. A watch counts when it played at least
 * `minWatchMs` (3 s): a swipe past a video is an impression, not a visit. A co-visit happens at
 * the later of the two watch times.
 *
 * **Score.** Cosine normalisation:
 * `score(a, b) = covisits(a, b) / sqrt(views(a) · views(b))`, clamped to [0, 1], where all three
 * are exponentially decayed counts (half-life `halfLifeMs`, 7 days by default) so the
 * neighbours follow recent behaviour and old co-visits fade rather than drop off a window edge.
 * Because the three decay at the same rate, the score does not depend on the time it is read
 * at. Dividing by the neighbour's popularity keeps a globally popular video from being everyone's
 * neighbour; by the anchor's, scores of different anchors are comparable. (A user who watches a,
 * b, then a again within the window co-visits the pair twice with one view of b, so a raw score
 * can exceed 1: hence the clamp.) The published `count` is the raw, undecayed number of
 * co-visits since the neighbour became a candidate of the anchor.
 *
 * **Dataflow**, three stateful steps, each an aggregation (so state converges under
 * at-least-once replays too):
 * 1. `co-visitation-recent`, by user (the input's partitioning, no repartition): the user's
 *    recent watches. Each new watch of a video b sends one message, to b, naming the recent
 *    videos within the window (b's co-visits, in both directions).
 * 2. `co-visitation-views`, by video, through the repartition topic `co-visitation-by-video`:
 *    views per video (decayed), also published to the compacted `features.co-visitation-views`.
 *    The watch of b sends on to b, as anchor, its views and its co-visits with the recent
 *    videos, and to each recent video a, as anchor, a co-visit with b stamped with b's views.
 * 3. `co-visitation`, by anchor, through `co-visitation-by-anchor`: the anchor's own views and
 *    its neighbour candidates, from which the top `topK` (20) by score are published. The
 *    co-visits b's watch names for anchor b take each neighbour's views from
 *    `features.co-visitation-views`, read as a global table.
 *
 * **Approximations and bounds.**
 * - The neighbour's views in a score are as of the pair's latest co-visit, not as of now: only
 *   the anchor's own views are current. A neighbour that became popular since scores a little
 *   too high until the pair co-occurs again. When the neighbour is the video just watched, its
 *   views are stamped in step 2 and include that watch; otherwise they are what
 *   `features.co-visitation-views` held when step 3 read it, which lags its task's last commit
 *   (a second) and may already count watches of that video that came after the co-visit.
 * - Each anchor keeps at most `candidates` (100) neighbours: when a new one would exceed that,
 *   the one with the fewest decayed co-visits goes (that ranking does not change as time passes,
 *   see `strongest`). Exact for the candidates kept unless an evicted one returns: it then
 *   starts again from its new co-visits (its count restarts too).
 * - A user's recent list holds at most `recentSize` videos and only those watched at most
 *   `windowMs + latenessMs` before the user's newest watch (`latenessMs` defaults to the
 *   window): a watch up to `latenessMs` late still meets every video it co-visits, a later one
 *   only those still kept.
 *
 * Emission: an anchor that has candidates publishes its neighbours once per commit of its task
 * in which it was updated (the step's `emit: 'onCommit'`). Per qualifying watch with k co-visits
 * that is one message through `co-visitation-by-video` and `k + 1` through
 * `co-visitation-by-anchor`. (The co-visits of anchor b used to visit each neighbour's task for
 * its views first: `k + 1` and `2k + 1` messages. On the 5,000 events/s load run those two
 * repartition topics carried four records in ten the feature job read.)
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
 * From step 2 to step 3, keyed by `anchor`: its own views with the co-visits its watch made
 * (neighbour views looked up in step 3), or a co-visit with the stamped views of its neighbour.
 */
type ByAnchorMessage =
  | {
      readonly kind: 'views';
      readonly anchor: string;
      readonly views: DecayedValue;
      readonly coVisits: readonly CoVisit[];
    }
  | {
      readonly kind: 'covisit';
      readonly anchor: string;
      readonly neighbour: string;
      readonly time: number;
      readonly neighbourViews: DecayedValue | null;
    };

/** What step 3 folds: its views, or one co-visit (`lookup`: neighbour views still to read). */
type AnchorUpdate<TViews = DecayedValue | null | 'lookup'> =
  | { readonly kind: 'views'; readonly views: DecayedValue }
  | {
      readonly kind: 'covisit';
      readonly neighbour: string;
      readonly time: number;
      readonly neighbourViews: TViews;
    };

/** An update with its neighbour's views in place. */
type StampedUpdate = AnchorUpdate<DecayedValue | null>;

/** Step 1's state per user; `out` holds what the latest watch emits. */
interface RecentWatches {
  readonly latest: number;
  readonly recent: readonly { readonly videoId: string; readonly eventTime: number }[];
  readonly out: ByVideoMessage | null;
}

/** Step 2's state per video; `out` holds what the latest message sends on. */
interface VideoViewsState {
  readonly views: DecayedValue | null;
  readonly out: readonly ByAnchorMessage[];
}

interface Candidate {
  readonly videoId: string;
  readonly covisits: DecayedValue;
  readonly count: number;
  /** The neighbour's views as of the pair's latest co-visit. */
  readonly views: DecayedValue | null;
}

/** Step 3's state per anchor. */
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
 * Step 3's state in the store and its changelog, in Avro binary: it is the job's largest value
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
              { name: 'views', type: ['null', 'DecayedValue'] },
            ],
          },
        },
      },
      { name: 'updatedTime', type: 'double' },
    ],
  },
};

const byVideoSerdes = { key: stringSerde, value: jsonSerde<ByVideoMessage>() };
const byAnchorSerdes = { key: stringSerde, value: jsonSerde<ByAnchorMessage>() };

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
 * step 2 to `features.co-visitation-views` and reads them back as the global table
 * `co-visitation-views`.
 */
export function coVisitationStream(
  pipeline: Pipeline,
  watchEnds: Stream<string, WatchEnd>,
  options: CoVisitationOptions = {},
): Stream<string, CoVisitation> {
  const settings = settingsOf(options);
  const viewsTable = pipeline.globalTable(coVisitationTopics.views, coVisitationSerdes.views, {
    name: 'co-visitation-views',
  });
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
      adder: (state, message, record) =>
        stampViews(state, { message, video: record.key }, settings),
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
    .flatMap((record) => record.value.out.map((m) => record.withKey(m.anchor).withValue(m)), {
      name: 'co-visitation-to-anchors',
    })
    .repartition({ name: 'co-visitation-by-anchor', serdes: byAnchorSerdes })
    .process(() => new AnchorUpdates(), {
      name: 'co-visitation-anchor-updates',
      changesKey: false, // every update is the anchor's, keyed as it came
    })
    .leftJoinGlobal(viewsTable, withNeighbourViews, {
      name: 'co-visitation-neighbour-views',
      key: (record) =>
        record.value.kind === 'covisit' && record.value.neighbourViews === 'lookup'
          ? record.value.neighbour
          : null,
    })
    .groupByKey({ name: 'co-visitation-by-anchor-grouped', serdes: anchorUpdateSerdes })
    .aggregate({
      name: 'co-visitation',
      initializer: (): AnchorState => ({
        views: null,
        candidates: [],
        updatedTime: Number.MIN_SAFE_INTEGER,
      }),
      adder: (state, update) => addToAnchor(state, update, settings),
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

const anchorUpdateSerdes = { key: stringSerde, value: jsonSerde<StampedUpdate>() };

/** Step 3's input, one update at a time: a views message with its co-visits becomes several. */
class AnchorUpdates implements Operator<string, ByAnchorMessage, string, AnchorUpdate> {
  process(
    record: StreamRecord<string, ByAnchorMessage>,
    ctx: OperatorContext<string, AnchorUpdate>,
  ): void {
    const message = record.value;
    if (message.kind === 'covisit') {
      const { neighbour, time, neighbourViews } = message;
      ctx.forward(record.withValue({ kind: 'covisit', neighbour, time, neighbourViews }));
      return;
    }
    ctx.forward(record.withValue({ kind: 'views', views: message.views }));
    for (const { video, time } of message.coVisits) {
      ctx.forward(
        record.withValue({ kind: 'covisit', neighbour: video, time, neighbourViews: 'lookup' }),
      );
    }
  }
}

/** A co-visit that needed its neighbour's views gets them from `features.co-visitation-views`. */
function withNeighbourViews(update: AnchorUpdate, views: VideoViews | undefined): StampedUpdate {
  if (update.kind === 'views') {
    return update;
  }
  const { neighbour, time, neighbourViews } = update;
  if (neighbourViews !== 'lookup') {
    return { kind: 'covisit', neighbour, time, neighbourViews };
  }
  const looked =
    views === undefined ? null : { score: views.views, updatedTime: views.updatedTime };
  return { kind: 'covisit', neighbour, time, neighbourViews: looked };
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
 * Step 2: counts a video's views; sends them on to the video as anchor with its co-visits, and
 * to each co-visited video as anchor a co-visit stamped with them.
 */
function stampViews(
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
  const out: ByAnchorMessage[] = [
    { kind: 'views', anchor: video, views, coVisits: message.coVisits },
  ];
  for (const { video: anchor, time } of message.coVisits) {
    out.push({ kind: 'covisit', anchor, neighbour: video, time, neighbourViews: views });
  }
  return { views, out };
}

/** Step 3: the anchor's views, or one more co-visit with a neighbour (bounded candidates). */
function addToAnchor(state: AnchorState, message: StampedUpdate, settings: Settings): AnchorState {
  switch (message.kind) {
    case 'views':
      return { ...state, views: message.views };
    case 'covisit': {
      const candidates = state.candidates.slice();
      const at = candidates.findIndex((c) => c.videoId === message.neighbour);
      const previous = at < 0 ? undefined : candidates[at];
      const updated: Candidate = {
        videoId: message.neighbour,
        covisits: addDecayed(
          previous?.covisits,
          { weight: 1, time: message.time },
          settings.halfLifeMs,
        ),
        count: (previous?.count ?? 0) + 1,
        views: message.neighbourViews,
      };
      if (at < 0) {
        candidates.push(updated);
      } else {
        candidates[at] = updated;
      }
      return {
        ...state,
        // The order kept does not matter: neighboursOf sorts.
        candidates: boundedListByStrength(candidates, {
          limit: settings.candidates,
          halfLifeMs: settings.halfLifeMs,
          key: (candidate) => candidate.videoId,
          decayed: (candidate) => candidate.covisits,
        }),
        updatedTime: Math.max(state.updatedTime, message.time),
      };
    }
  }
}

/** The published record: the top-K candidates by score. */
function neighboursOf(
  state: AnchorState,
  context: { readonly anchor: string; readonly settings: Settings },
): CoVisitation {
  const { halfLifeMs, minCount, topK } = context.settings;
  const candidates = state.candidates;
  // Any common time gives the same scores; the newest reference time avoids growing values.
  const now = Math.max(
    state.views?.updatedTime ?? Number.MIN_SAFE_INTEGER,
    ...candidates.map((c) =>
      Math.max(c.covisits.updatedTime, c.views?.updatedTime ?? Number.MIN_SAFE_INTEGER),
    ),
  );
  const anchorViews = state.views === null ? 0 : decayTo(state.views, now, halfLifeMs);
  const neighbours: Neighbour[] = candidates
    .filter((c) => c.count >= minCount)
    .map((c) => {
      const views = c.views === null ? 0 : decayTo(c.views, now, halfLifeMs);
      const covisits = decayTo(c.covisits, now, halfLifeMs);
      const norm = Math.sqrt(anchorViews * views);
      const score = norm > 0 ? Math.min(1, covisits / norm) : 0;
      return { videoId: c.videoId, score, count: c.count };
    })
    .sort(
      (a, b) =>
        b.score - a.score ||
        b.count - a.count ||
        (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0),
    )
    .slice(0, topK);
  return { videoId: context.anchor, neighbours, updatedTime: state.updatedTime };
}
