import type { CoVisitation } from '../../schemas/generated/coVisitation.js';
import type {
  CandidateSource,
  RankingMode,
  RecommendationReply,
  RecommendedItem,
} from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { TrendingList } from '../../schemas/generated/trendingList.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { UserSeen } from '../../schemas/generated/userSeen.js';
import type { VideoPopularity } from '../../schemas/generated/videoPopularity.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { trendingKey } from '../../schemas/topics.js';
import { seenTest } from '../seenSet.js';
import { StageTimer } from './stageTimer.js';
import { lastHourViewsAt } from '../videoPopularity.js';
import {
  currentVideoOf,
  markEmbeddingNeighbours,
  neighboursFirst,
  proposeCoVisited,
} from './upNext.js';
import type { LatencyGuard } from './latencyGuard.js';
import {
  scoreCandidates,
  type Ranker,
  type RankedCandidate,
  type RankingObjective,
} from './ranking.js';
import { explore, rerank, type RerankingLimits, type RerankingReader } from './reranking.js';
import type { CandidateRetriever } from './retrieval.js';
import {
  addSignal,
  type BlendWeights,
  decayed,
  freshnessTimeMs,
  type Candidate,
  type Signal,
} from './scoring.js';

/**
 * What the recommender reads: per-video features (global tables) and the user's features;
 * item vectors and exploration posteriors (RerankingReader) when the serving job has them.
 */
export interface FeatureReader extends RerankingReader {
  /** The user's features; undefined for an unknown user. Throws when they cannot be read. */
  user(userId: string): Promise<UserFeatures | undefined>;
  /** The user's seen set; undefined when the user has none. Throws when it cannot be read. */
  seen(userId: string): Promise<UserSeen | undefined>;
  coVisitation(videoId: string): Promise<CoVisitation | undefined>;
  trending(key: string): Promise<TrendingList | undefined>;
  video(videoId: string): Promise<VideoUpload | undefined>;
  popularity(videoId: string): Promise<VideoPopularity | undefined>;
  /**
   * Many videos' metadata and popularity at once, in the ids' order (a request describes about
   * a thousand candidates); without them, {@link video} and {@link popularity} per id.
   */
  videos?(videoIds: readonly string[]): Promise<readonly (VideoUpload | undefined)[]>;
  popularities?(videoIds: readonly string[]): Promise<readonly (VideoPopularity | undefined)[]>;
  /** Learned retrieval (two-tower), a candidate source when the serving job has a model. */
  readonly retriever?: CandidateRetriever;
  /** Learned ranking (MMoE) of the merged candidates when the serving job has a model. */
  readonly ranker?: Ranker;
  /** Holds the ranker back while its recent latency is over budget (one per serving job). */
  readonly rankingGuard?: LatencyGuard;
}

/** Limits of candidate generation and re-ranking; defaults in {@link defaultLimits}. */
export interface RecommenderLimits extends RerankingLimits {
  /** Recent watches whose co-visitation neighbours become candidates. */
  readonly seedWatches: number;
  /** The user's top categories whose trending lists become candidates. */
  readonly topCategories: number;
  /** At most this many videos of one creator in a reply (diversity). */
  readonly perCreator: number;
  /** Largest `count` a request may ask for. */
  readonly maxCount: number;
  /** The blend's weights; `scoreWeights` (scoring.ts) when absent. */
  readonly weights?: BlendWeights;
  /** Candidates asked of the retriever (two-tower), when there is one; default 100. */
  readonly retrievedCandidates?: number;
  /** Candidates the ranker scores at most, the blend's best; default 1,000 (ranking.ts). */
  readonly rankedCandidates?: number;
  /** The ranker's objective (watch time vs click); `defaultObjective` (ranking.ts) when absent. */
  readonly ranking?: RankingObjective;
  /**
   * `false` answers every request with the fallback (popular in region, the user's seen videos
   * left out), marked degraded "personalisation switched off": a switch for on-call when the
   * personalised path misbehaves, and how the evaluation compares that path with its own
   * fallback for the same users. Default true.
   */
  readonly personalise?: boolean;
}

export const defaultLimits: RecommenderLimits = {
  seedWatches: 10,
  topCategories: 3,
  perCreator: 2,
  maxCount: 100,
};

/** The recommender's version, in replies and the impressions logged for them. */
export const modelVersion = 'blend-v2';

/**
 * The first recommender, answering one request:
 * 1. candidates: co-visitation neighbours of the user's recent watches, trending and popular
 *    in the user's region, trending in the user's strongest categories, fresh uploads in the
 *    region;
 * 2. filter: everything the user has seen (see {@link exclusionOf}), before anything is cut;
 * 3. score: the ranking model (`ranking.ts`) when the serving job has one and its latency guard
 *    lets it, else the weighted blend of `scoring.ts`; the reply says which (`rankingMode`)
 *    and how long each stage took (`stageMillis`);
 * 4. re-ranking (reranking.ts): MMR over item vectors (λ `mmrLambda`, 0.7 by default) with at
 *    most `perCreator` videos of one creator, then the exploration slot (5% of positions by
 *    default, Thompson sampling over fresh videos, marked `explored`).
 * Up-next requests (`surface: 'UP_NEXT'` with `context.currentVideoId`) add the current video's
 * co-visitation and embedding neighbours as candidates (upNext.ts) and never return it.
 * An unknown user, features that cannot be read, or a personalised path that fails or finds
 * nothing gets popular-in-region instead, marked `degraded` with the reason, and filtered by
 * the same seen set when it could be read.
 */
export async function recommend(
  request: RecommendationRequest,
  features: FeatureReader,
  limits: RecommenderLimits = defaultLimits,
): Promise<RecommendationReply> {
  const stages = new StageTimer();
  const count = Math.min(Math.max(request.count, 1), limits.maxCount);
  // Side by side: one deadline for both reads, not two in a row.
  const [userRead, seenRead] = await Promise.allSettled([
    features.user(request.userId),
    features.seen(request.userId),
  ]);
  const user = userRead.status === 'fulfilled' ? userRead.value : undefined;
  const seen = seenRead.status === 'fulfilled' ? seenRead.value : undefined;
  const excluded = exclusionOf({ user, seen, currentVideoId: currentVideoOf(request) });
  const degraded = (reason: string) =>
    fallback(request, { features, limits, count, excluded, reason, stages });
  if (userRead.status === 'rejected') {
    return degraded(`user features unavailable: ${text(userRead.reason)}`);
  }
  if (user === undefined) {
    return degraded('unknown user: no features yet');
  }
  if (limits.personalise === false) {
    return degraded('personalisation switched off');
  }
  let items: RecommendedItem[];
  const ranking: RankingOutcome = { mode: 'BLEND', predictions: new Map() };
  // A candidate source that answered in part (two-tower shards away) says so here.
  const partial: string[] = [];
  const seenIds = [
    ...user.lastWatched.map((w) => w.videoId),
    ...user.recentNegatives.map((n) => n.videoId),
    ...(seen?.recent ?? []),
  ];
  try {
    items = await personalised(request, {
      user,
      excluded,
      features,
      limits,
      count,
      seenIds,
      partial,
      stages,
      ranking,
    });
  } catch (error) {
    return degraded(`personalisation failed: ${text(error)}`);
  }
  // Everything after the ranking in `personalised`: diversity, exploration.
  stages.mark('reranking');
  if (items.length === 0) {
    return degraded('no personalised candidates');
  }
  return reply(request, {
    items: items.map((item, position) =>
      withPrediction(item, ranking.predictions.get(item.videoId), position),
    ),
    degraded: partial.length > 0 ? partial.join('; ') : null,
    rankingMode: ranking.mode,
    stages,
    ...(ranking.mode === 'MODEL' && features.ranker !== undefined
      ? { modelVersion: `${modelVersion}+${features.ranker.name}-${features.ranker.version}` }
      : {}),
  });
}

/** What the ranking stage of a request decided, for its reply. */
interface RankingOutcome {
  mode: RankingMode;
  predictions: ReadonlyMap<string, RankedCandidate>;
}

/**
 * The item with the model's predictions for it, or none (null) when no model ranked it; the
 * click probability at the position it is shown at, when the model has a position term.
 */
function withPrediction(
  item: RecommendedItem,
  prediction: RankedCandidate | undefined,
  position: number,
): RecommendedItem {
  return {
    ...item,
    predictedClick: prediction?.clickAt?.(position) ?? prediction?.predictedClick ?? null,
    predictedWatchSeconds: prediction?.predictedWatchSeconds ?? null,
  };
}

/**
 * What no reply may contain: the user's seen set (every video played or acted on, bounded as
 * `seenSet.ts` says), and the features' last watches and recent dislikes and dismisses, which
 * are current to the event while the seen set is current to the feature job's last commit
 * (about a second). Either may be missing (unknown user, a read that failed or missed its
 * deadline): what remains still filters; with neither, nothing is filtered.
 */
export function exclusionOf(read: {
  readonly user: UserFeatures | undefined;
  readonly seen: UserSeen | undefined;
  /** On up-next requests, the video being watched: never its own next. */
  readonly currentVideoId?: string | undefined;
}): (videoId: string) => boolean {
  const inSeenSet = seenTest(read.seen);
  const recent = new Set([
    ...(read.user?.lastWatched.map((w) => w.videoId) ?? []),
    ...(read.user?.recentNegatives.map((n) => n.videoId) ?? []),
  ]);
  const current = read.currentVideoId;
  return (videoId) => videoId === current || recent.has(videoId) || inSeenSet(videoId);
}

async function personalised(
  request: RecommendationRequest,
  context: {
    user: UserFeatures;
    excluded: (videoId: string) => boolean;
    features: FeatureReader;
    limits: RecommenderLimits;
    count: number;
    /** The videos `excluded` names that can be listed: the retriever leaves them out. */
    seenIds?: readonly string[];
    /** Where a source that answered only in part says so (the reply is then degraded). */
    partial?: string[];
    /** Marks the end of retrieval and of ranking. */
    stages?: StageTimer;
    /** Where the ranking stage says how it ranked. */
    ranking?: RankingOutcome;
  },
): Promise<RecommendedItem[]> {
  const { user, features, limits, excluded } = context;
  // Asked first, so that it runs beside the co-visitation and trending reads.
  const retrieving = retrieve(request, context);
  const candidates = new Map<string, Candidate>();
  const propose = (videoId: string, source: CandidateSource): Candidate => {
    let candidate = candidates.get(videoId);
    if (candidate === undefined) {
      candidate = { videoId, sources: new Set(), raw: {} };
      candidates.set(videoId, candidate);
    }
    candidate.sources.add(source);
    return candidate;
  };
  const seeds = user.lastWatched.slice(0, limits.seedWatches);
  const current = currentVideoOf(request);
  const now = request.requestTime;
  const decay = { now, halfLifeMs: user.affinityHalfLifeMs };
  const categories = Object.entries(user.categoryAffinity)
    .map(([category, affinity]) => ({ category, score: decayed(affinity, decay) }))
    // Equal scores by name: the map's order is not meaningful.
    .sort(
      (a, b) =>
        b.score - a.score || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0),
    )
    .slice(0, limits.topCategories);
  const trendingSources: [string, CandidateSource][] = [
    [trendingKey('REGION', request.region), 'TRENDING_REGION'],
    [trendingKey('POPULAR', request.region), 'POPULAR_REGION'],
    [trendingKey('FRESH', request.region), 'FRESH_UPLOAD'],
    ...categories.map((c): [string, CandidateSource] => [
      trendingKey('CATEGORY', c.category),
      'CATEGORY_AFFINITY',
    ]),
  ];
  // Every read at once (each may wait for a RocksDB read on the thread pool, behind other
  // requests'): the stage waits for the slowest, not for their sum. Proposed below in the
  // order they always were, so the candidates and their ties are the same.
  const [neighbourLists, currentNeighbours, trendingLists] = await Promise.all([
    Promise.all(seeds.map((w) => features.coVisitation(w.videoId))),
    current === undefined ? undefined : features.coVisitation(current),
    Promise.all(trendingSources.map(([key]) => features.trending(key))),
  ]);
  neighbourLists.forEach((list, rank) => {
    for (const neighbour of list?.neighbours ?? []) {
      addSignal(
        propose(neighbour.videoId, 'CO_VISITATION'),
        'coVisitation',
        neighbour.score / (1 + rank),
      );
    }
  });
  if (current !== undefined) {
    proposeCoVisited(currentNeighbours, (videoId) => propose(videoId, 'CURRENT_VIDEO_NEIGHBOURS'));
  }
  const lists = trendingSources.map(
    ([, source], i): [TrendingList | undefined, CandidateSource] => [trendingLists[i], source],
  );
  for (const [list, source] of lists) {
    const top = list?.items[0]?.score ?? 0;
    for (const item of list?.items ?? []) {
      const candidate = propose(item.videoId, source);
      if (source === 'POPULAR_REGION' && top > 0) {
        candidate.raw.popularInRegion = item.score / top;
      } else if (source !== 'FRESH_UPLOAD' && top > 0) {
        candidate.raw.trending = Math.max(candidate.raw.trending ?? 0, item.score / top);
      }
    }
  }
  for (const candidate of await retrieving) {
    addSignal(propose(candidate.videoId, 'TWO_TOWER'), 'twoTower', Math.max(0, candidate.score));
  }
  // Filtered before scoring, diversity and the cut: the list is full whenever enough unseen
  // candidates exist.
  const kept = [...candidates.values()].filter((c) => !excluded(c.videoId));
  const embedding = features.embedding?.bind(features);
  const vectors =
    current === undefined || embedding === undefined
      ? undefined
      : await markEmbeddingNeighbours(current, kept, { embedding });
  await describe(kept, { user, features, now });
  context.stages?.mark('retrieval');
  // The model when the serving job has one and its latency guard lets it; else the blend.
  const scored = await scoreCandidates(kept, {
    user,
    request,
    ...(features.ranker === undefined ? {} : { ranker: features.ranker }),
    ...(features.rankingGuard === undefined ? {} : { guard: features.rankingGuard }),
    ...(limits.weights === undefined ? {} : { weights: limits.weights }),
    ...(limits.ranking === undefined ? {} : { objective: limits.ranking }),
    ...(limits.rankedCandidates === undefined ? {} : { maxCandidates: limits.rankedCandidates }),
  });
  if (scored.failure !== undefined) {
    context.partial?.push(scored.failure);
  }
  if (context.ranking !== undefined) {
    context.ranking.mode = scored.mode;
    context.ranking.predictions = scored.predictions;
  }
  const scores = scored.scores;
  context.stages?.mark('ranking');
  const ranked = kept
    .map((c) => ({ candidate: c, score: scores.get(c.videoId) ?? 0 }))
    .sort((a, b) => byScore(a.score, b.score) || byId(a.candidate.videoId, b.candidate.videoId));
  return rerank(current === undefined ? ranked : neighboursFirst(ranked), {
    request,
    count: context.count,
    limits,
    features,
    excluded,
    fresh: lists.find(([, source]) => source === 'FRESH_UPLOAD')?.[0],
    ...(vectors === undefined ? {} : { vectors }),
  });
}

/**
 * The retriever's candidates for the user, when the serving job has one. Shards that did not
 * answer, or a retriever that failed, leave a note in `partial` (the reply is marked degraded
 * with it) and the other sources answer alone: never a failed request.
 */
async function retrieve(
  request: RecommendationRequest,
  context: {
    user: UserFeatures;
    features: FeatureReader;
    limits: RecommenderLimits;
    seenIds?: readonly string[];
    partial?: string[];
  },
): Promise<readonly { videoId: string; score: number }[]> {
  const retriever = context.features.retriever;
  if (retriever === undefined) {
    return [];
  }
  try {
    const retrieval = await retriever.retrieve({
      userId: request.userId,
      features: context.user,
      atMs: request.requestTime,
      count: context.limits.retrievedCandidates ?? 100,
      exclude: context.seenIds ?? [],
    });
    if (retrieval.degraded) {
      // -1: no shard has answered yet, so not even their count is known.
      const shards = retrieval.unavailableShards.some((shard) => shard < 0)
        ? 'shards (all; their count not yet known) did not answer'
        : `shards ${retrieval.unavailableShards.join(', ')} did not answer`;
      context.partial?.push(`${retriever.name}: ${shards}`);
    }
    return retrieval.candidates;
  } catch (error) {
    context.partial?.push(`${retriever.name} failed: ${text(error)}`);
    return [];
  }
}

/**
 * Scores within this relative distance rank as equal (then by id): a score summed from decayed
 * counts differs in its last digits with the order the feature job added them in, and equal
 * scores must rank alike in every run.
 */
const sameScore = 1e-9;

/** Higher score first; scores equal within {@link sameScore} give 0 (ties: see {@link byId}). */
function byScore(a: number, b: number): number {
  return Math.abs(a - b) > sameScore * Math.max(Math.abs(a), Math.abs(b)) ? b - a : 0;
}

/** Ids in code-unit order (not the locale's, which may differ from one machine to another). */
function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fills in each candidate's affinity, freshness and popularity signals from its features. */
async function describe(
  candidates: readonly Candidate[],
  context: { user: UserFeatures; features: FeatureReader; now: number },
): Promise<void> {
  const { user, features, now } = context;
  const decay = { now, halfLifeMs: user.affinityHalfLifeMs };
  const ids = candidates.map((candidate) => candidate.videoId);
  const [videos, popularities] = await Promise.all([
    features.videos?.(ids) ?? Promise.all(ids.map((id) => features.video(id))),
    features.popularities?.(ids) ?? Promise.all(ids.map((id) => features.popularity(id))),
  ]);
  candidates.forEach((candidate, i) => {
    const video = videos[i];
    const popularity = popularities[i];
    if (video !== undefined) {
      candidate.creatorId = video.creatorId;
      candidate.category = video.category;
      candidate.durationMs = video.durationMs;
      // In this order (a candidate's signals are summed in the order they were added).
      addPositive(
        candidate,
        'categoryAffinity',
        affinityOf(user.categoryAffinity, video.category, decay),
      );
      addPositive(
        candidate,
        'creatorAffinity',
        affinityOf(user.creatorAffinity, video.creatorId, decay),
      );
      addPositive(
        candidate,
        'freshness',
        Math.exp(-Math.max(0, now - video.uploadTime) / freshnessTimeMs),
      );
    }
    // Views in the hour before the request, not before the feature task's stream time.
    const views = popularity === undefined ? 0 : lastHourViewsAt(popularity, now);
    if (views > 0) {
      addSignal(candidate, 'popularity', Math.log1p(views));
    }
  });
}

function addPositive(candidate: Candidate, signal: Signal, value: number): void {
  if (value > 0) {
    addSignal(candidate, signal, value);
  }
}

function affinityOf(
  affinities: Readonly<Record<string, { score: number; updatedTime: number }>>,
  id: string,
  decay: { now: number; halfLifeMs: number },
): number {
  const affinity = affinities[id];
  return affinity === undefined ? 0 : Math.max(0, decayed(affinity, decay));
}

/**
 * Popular in the request's region: its popular list (playbacks decayed over days), scores as
 * published, then, when that has fewer than `count` videos the user has not seen, its trending
 * list of the last hour after it, scaled so its top scores at most as the last popular video
 * (the reply stays in score order). Seen videos are dropped before the cut. Reads only the
 * global tables, so it answers when the user's features cannot be read. The exploration slot
 * then fills its positions as on the personalised path (reranking.ts `explore`).
 */
async function fallback(
  request: RecommendationRequest,
  context: {
    features: FeatureReader;
    limits: RecommenderLimits;
    count: number;
    excluded: (videoId: string) => boolean;
    reason: string;
    stages: StageTimer;
  },
): Promise<RecommendationReply> {
  const { features, count, excluded } = context;
  const items: RecommendedItem[] = [];
  const taken = new Set<string>();
  try {
    for (const scope of ['POPULAR', 'REGION'] as const) {
      if (items.length >= count) {
        break;
      }
      const list = await features.trending(trendingKey(scope, request.region));
      const top = list?.items[0]?.score ?? 0;
      const last = items[items.length - 1]?.score;
      const scale = last === undefined || top <= 0 ? 1 : Math.min(1, last / top);
      for (const item of list?.items ?? []) {
        if (items.length >= count) {
          break;
        }
        if (taken.has(item.videoId) || excluded(item.videoId)) {
          continue;
        }
        taken.add(item.videoId);
        items.push({
          videoId: item.videoId,
          score: item.score * scale,
          sources: ['POPULAR_FALLBACK'],
          predictedClick: null,
          predictedWatchSeconds: null,
          explored: false,
        });
      }
    }
  } catch {
    // nothing more to offer: a short (or empty) degraded reply still answers in time
  }
  // The fallback's reads are its retrieval; nothing is ranked.
  context.stages.mark('retrieval');
  // The exploration slot here too (global tables only, so it works when the user's features do
  // not): 5% of all positions explore, whichever path answered. A read that fails leaves the
  // popular list as it is.
  const shown = await explore(items, {
    request,
    count,
    limits: context.limits,
    features,
    excluded,
    fresh: await features.trending(trendingKey('FRESH', request.region)).catch(() => undefined),
  }).catch(() => items);
  context.stages.mark('reranking');
  return reply(request, {
    items: shown,
    degraded: context.reason,
    rankingMode: 'BLEND',
    stages: context.stages,
  });
}

function reply(
  request: RecommendationRequest,
  result: {
    items: RecommendedItem[];
    degraded: string | null;
    rankingMode: RankingMode;
    stages: StageTimer;
    /** The recommender's version with the ranking model's, when a model ranked the list. */
    modelVersion?: string;
  },
): RecommendationReply {
  return {
    requestId: request.requestId,
    userId: request.userId,
    items: result.items,
    degraded: result.degraded !== null,
    degradedReason: result.degraded,
    rankingMode: result.rankingMode,
    // The total ends here: building the reply is the last of the server's work on it.
    stageMillis: result.stages.millis(),
    modelVersion: result.modelVersion ?? modelVersion,
    servedTime: Date.now(),
  };
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
