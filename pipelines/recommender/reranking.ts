/**
 * The funnel's last stage, after ranking: diversity re-ranking (MMR over item vectors, with the
 * per-creator cap; mmr.ts), then the exploration slot (exploration.ts).
 */
import type { ExplorationPosterior } from '../../schemas/generated/explorationPosterior.js';
import type { RecommendedItem } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { TrendingList } from '../../schemas/generated/trendingList.js';
import { explorationFreshnessMs, explorationPrior } from '../explorationPosteriors.js';
import {
  defaultExplorationShare,
  explorationPositions,
  withExploration,
  type ExplorationCandidate,
} from './exploration.js';
import {
  defaultMmrLambda,
  intraListDiversity,
  mmrRerank,
  type DiverseItem,
  type ItemVector,
} from './mmr.js';
import { seededRandom } from './random.js';
import type { Candidate } from './scoring.js';

/** Candidates re-ranked by MMR by default: the best 100 by the ranking's score. */
export const defaultRerankPool = 100;

/** What the re-ranking reads, besides the candidates: both optional (serving without them). */
export interface RerankingReader {
  /** A video's item vector (unit length), from the embeddings table; undefined when none. */
  embedding?(videoId: string): Promise<ItemVector | undefined>;
  /** Many videos' vectors at once, in the ids' order; without it, {@link embedding} per id. */
  embeddings?(videoIds: readonly string[]): Promise<readonly (ItemVector | undefined)[]>;
  /** A fresh video's click-through posterior; undefined when it has none yet. */
  posterior?(videoId: string): Promise<ExplorationPosterior | undefined>;
}

/** The re-ranking's knobs, every one optional (defaults in brackets). */
export interface RerankingLimits {
  /** At most this many videos of one creator in a reply. */
  readonly perCreator: number;
  /** MMR's λ: 1 keeps the ranking's order, lower trades relevance for novelty [0.7]. */
  readonly mmrLambda?: number;
  /** How many of the best-ranked candidates MMR re-orders [100]. */
  readonly rerankPool?: number;
  /** Share of positions filled by the exploration slot [0.05]; 0 turns it off. */
  readonly explorationShare?: number;
  /** How long after its upload a video may be explored [24 h, as the posteriors' pipeline]. */
  readonly explorationFreshnessMs?: number;
}

/** A ranked candidate with the ranking's score (recommend() adds the model's predictions). */
export interface RankedEntry {
  readonly candidate: Candidate;
  readonly score: number;
}

/**
 * The reply's items from the ranked candidates (best first): MMR with the per-creator cap over
 * the best `rerankPool`, each item scored at its MMR value; then the explored positions, drawn
 * from the request id's generator, filled from the region's fresh list (`fresh`) less what
 * `excluded` names and what the list already holds.
 */
export async function rerank(
  ranked: readonly RankedEntry[],
  context: {
    readonly request: RecommendationRequest;
    readonly count: number;
    readonly limits: RerankingLimits;
    readonly features: RerankingReader;
    readonly excluded: (videoId: string) => boolean;
    readonly fresh: TrendingList | undefined;
    /** Vectors already read for this request (up-next's): not read again. */
    readonly vectors?: ReadonlyMap<string, ItemVector>;
  },
): Promise<RecommendedItem[]> {
  const { limits, count, features } = context;
  const lambda = limits.mmrLambda ?? defaultMmrLambda;
  const pool = limits.rerankPool ?? defaultRerankPool;
  const vectors = new Map(context.vectors ?? []);
  const embedding = features.embedding?.bind(features);
  if (lambda < 1 && embedding !== undefined) {
    const missing = ranked.slice(0, pool).filter((r) => !vectors.has(r.candidate.videoId));
    const ids = missing.map((r) => r.candidate.videoId);
    // A table read that fails leaves the video to the metadata similarity: never a failed reply.
    const read =
      features.embeddings === undefined
        ? await Promise.all(ids.map((id) => embedding(id).catch(() => undefined)))
        : await features.embeddings(ids).catch(() => ids.map(() => undefined));
    missing.forEach((r, i) => {
      const vector = read[i];
      if (vector !== undefined) {
        vectors.set(r.candidate.videoId, vector);
      }
    });
  }
  const picked = mmrRerank(
    ranked.map((entry) => ({ item: diverseItemOf(entry, vectors), relevance: entry.score })),
    { count, lambda, perCreator: limits.perCreator, pool },
  );
  const items = picked.map(({ item, score }): RecommendedItem => ({
    videoId: item.videoId,
    score,
    sources: [...item.entry.candidate.sources].sort(),
    predictedClick: null,
    predictedWatchSeconds: null,
    explored: false,
  }));
  return explore(items, context);
}

/**
 * The exploration slot over a list already in display order (exploration.ts): its positions
 * drawn from the request id's generator, filled from the region's fresh list (`fresh`) less what
 * `excluded` names and what the list holds. The personalised path and the popular fallback both
 * end here, so the share explored is the same whichever answered.
 */
export async function explore(
  items: readonly RecommendedItem[],
  context: {
    readonly request: RecommendationRequest;
    readonly count: number;
    readonly limits: Omit<RerankingLimits, 'perCreator'>;
    readonly features: RerankingReader;
    readonly excluded: (videoId: string) => boolean;
    readonly fresh: TrendingList | undefined;
  },
): Promise<RecommendedItem[]> {
  const random = seededRandom(context.request.requestId);
  const share = context.limits.explorationShare ?? defaultExplorationShare;
  const positions = explorationPositions(context.count, share, random);
  if (positions.length === 0) {
    return [...items];
  }
  const fresh = await freshCandidates(context, new Set(items.map((i) => i.videoId)));
  return withExploration(items, { positions, count: context.count, fresh, random });
}

function diverseItemOf(
  entry: RankedEntry,
  vectors: ReadonlyMap<string, ItemVector>,
): DiverseItem & { readonly entry: RankedEntry } {
  const { candidate } = entry;
  // One literal, no spread: a thousand of these a request.
  return {
    videoId: candidate.videoId,
    creatorId: candidate.creatorId,
    category: candidate.category,
    vector: vectors.get(candidate.videoId),
    entry,
  };
}

/**
 * The region's fresh uploads the slot may show: on the FRESH list (scored by upload time),
 * uploaded within the freshness window before the request, not excluded, not in the list
 * already; each with its posterior, or the prior for a video without one.
 */
async function freshCandidates(
  context: {
    readonly request: RecommendationRequest;
    readonly limits: Omit<RerankingLimits, 'perCreator'>;
    readonly features: RerankingReader;
    readonly excluded: (videoId: string) => boolean;
    readonly fresh: TrendingList | undefined;
  },
  shown: ReadonlySet<string>,
): Promise<ExplorationCandidate[]> {
  const window = context.limits.explorationFreshnessMs ?? explorationFreshnessMs;
  const now = context.request.requestTime;
  const eligible = (context.fresh?.items ?? []).filter(
    (item) =>
      now - item.score <= window && !shown.has(item.videoId) && !context.excluded(item.videoId),
  );
  const posterior = context.features.posterior?.bind(context.features);
  const posteriors = await Promise.all(
    eligible.map((item) =>
      (posterior?.(item.videoId) ?? Promise.resolve(undefined)).catch(() => undefined),
    ),
  );
  return eligible.map((item, i) => ({
    videoId: item.videoId,
    alpha: posteriors[i]?.alpha ?? explorationPrior.alpha,
    beta: posteriors[i]?.beta ?? explorationPrior.beta,
  }));
}

/**
 * A reply's intra-list diversity (mmr.ts): its items' vectors where the embeddings table has
 * them, their category and creator where not. For the serving job's metric and the demo.
 */
export async function replyDiversity(
  items: readonly { readonly videoId: string }[],
  features: RerankingReader & {
    video(videoId: string): Promise<{ creatorId: string; category: string } | undefined>;
  },
): Promise<number> {
  const embedding = features.embedding?.bind(features);
  const described = await Promise.all(
    items.map(async ({ videoId }): Promise<DiverseItem> => {
      const [video, vector] = await Promise.all([
        features.video(videoId).catch(() => undefined),
        embedding?.(videoId).catch(() => undefined),
      ]);
      return { videoId, creatorId: video?.creatorId, category: video?.category, vector };
    }),
  );
  return intraListDiversity(described);
}
