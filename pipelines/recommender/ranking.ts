import type { RankingMode } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { LatencyGuard } from './latencyGuard.js';
import { blendScores, type BlendWeights, type Candidate } from './scoring.js';

/** What a ranker is told of a candidate: its id and what the catalogue says of it. */
export interface RankingCandidate {
  readonly videoId: string;
  /** The video's length; undefined when its catalogue record could not be read. */
  readonly durationMs?: number;
}

/** A ranker's verdict on one candidate. */
export interface RankedCandidate {
  /** The objective ({@link objectiveScore}): what the list is sorted by. */
  readonly score: number;
  /** Calibrated probability that the user clicks (starts) the video. */
  readonly predictedClick: number;
  /** Expected seconds the user watches the video from this impression. */
  readonly predictedWatchSeconds: number;
  /**
   * The click probability were the video shown at `position` (0: first), calibrated; absent
   * when the model has no position term. `predictedClick` is at position 0, where every
   * candidate is compared (position bias); what is logged with the impression is the one at
   * the position shown, comparable with the clicks there (docs/calibration.md, the caveat).
   */
  readonly clickAt?: (position: number) => number;
}

export interface RankingInput {
  readonly candidates: readonly RankingCandidate[];
  readonly user: UserFeatures;
  readonly request: RecommendationRequest;
  readonly objective: RankingObjective;
}

/**
 * A learned ranker: scores every merged candidate of one request. The serving job implements
 * it (the MMoE in ONNX Runtime, `jobs/serving/mmoeRanker.ts`); the recommender only asks it, so
 * a deployment without a model ranks by the blend as before.
 */
export interface Ranker {
  /** For logs and metrics: `mmoe`. */
  readonly name: string;
  /** The model's version (manifest), in replies and their impressions. */
  readonly version: string;
  /** One verdict per candidate, in the candidates' order. Rejects when the model cannot run. */
  rank(input: RankingInput): Promise<readonly RankedCandidate[]>;
}

/**
 * The seed's objective: expected watch time, balanced against click probability.
 *
 *   score = watchWeight · predictedWatchSeconds / referenceWatchSeconds
 *         + clickWeight · predictedClick
 *
 * Watch time is what the product optimises (a watched second is the engagement that counts),
 * but ranked on it alone the list fills with long videos whose expected seconds are high
 * while few users start them; the click term keeps videos users are likely to start near the
 * top, and a feed whose first items get no start loses the session. `referenceWatchSeconds`
 * puts the two terms on one scale (about a typical short video's watch), so the weights read
 * as shares. Defaults: {@link defaultObjective}; a deployment sets them in
 * `RecommenderLimits.ranking`.
 */
export interface RankingObjective {
  readonly watchWeight: number;
  readonly clickWeight: number;
  readonly referenceWatchSeconds: number;
  /**
   * Weight of the retrieval blend's score (scaled to [0, 1] by the request's best) added to the
   * model's objective: 0 (the default) ranks by the model alone. The blend carries what the
   * model may not see, such as how popular a video is right now; a deployment whose model ranks
   * worse than its retrieval on a validation window can lean on both, with a weight chosen
   * there (`reelstream evaluate` does: servedFunnel.ts).
   */
  readonly blendWeight?: number;
}

/** 70 % watch time, 30 % click, watch time counted in units of 30 s. A start, not tuned. */
export const defaultObjective: RankingObjective = {
  watchWeight: 0.7,
  clickWeight: 0.3,
  referenceWatchSeconds: 30,
};

/** @see RankingObjective */
export function objectiveScore(
  prediction: { readonly predictedClick: number; readonly predictedWatchSeconds: number },
  objective: RankingObjective,
): number {
  const watch = Math.max(0, prediction.predictedWatchSeconds) / objective.referenceWatchSeconds;
  return objective.watchWeight * watch + objective.clickWeight * prediction.predictedClick;
}

/** What {@link scoreCandidates} decided for a request. */
export interface Scored {
  /** Per candidate id: the score the list is sorted by. */
  readonly scores: ReadonlyMap<string, number>;
  /** Per candidate id, when a model ranked the list: its predictions. */
  readonly predictions: ReadonlyMap<string, RankedCandidate>;
  readonly mode: RankingMode;
  /** Why the model's answer is missing when it was asked (it failed): for the reply. */
  readonly failure?: string;
}

/**
 * The ranking stage of one request: the model when the serving job has one and the latency
 * guard lets it (MODEL), else the blend of `scoring.ts` (BLEND without a model, SIMPLIFIED when
 * the guard holds the model back or the model failed). The model sees at most `maxCandidates`,
 * the blend's best (the blend is cheap and already a fair first cut); the rest keep their
 * blend score scaled below the lowest model score, so they rank after every ranked candidate.
 * A model that fails answers this request with the blend; the guard counts the failure as a
 * ranking over budget.
 */
export async function scoreCandidates(
  candidates: readonly Candidate[],
  context: {
    readonly user: UserFeatures;
    readonly request: RecommendationRequest;
    readonly ranker?: Ranker;
    readonly guard?: LatencyGuard;
    readonly weights?: BlendWeights;
    readonly objective?: RankingObjective;
    readonly maxCandidates?: number;
  },
): Promise<Scored> {
  const blend = blendScores(candidates, context.weights);
  const { ranker, guard } = context;
  if (ranker === undefined) {
    return { scores: blend, predictions: new Map(), mode: 'BLEND' };
  }
  const admitted = guard?.admit() ?? 'MODEL';
  const ranked = candidates
    .map((candidate) => ({ candidate, blend: blend.get(candidate.videoId) ?? 0 }))
    // Ties by id: the same candidates reach the model in every run.
    .sort(
      (a, b) =>
        b.blend - a.blend ||
        (a.candidate.videoId < b.candidate.videoId
          ? -1
          : a.candidate.videoId > b.candidate.videoId
            ? 1
            : 0),
    )
    .slice(0, context.maxCandidates ?? defaultMaxRankedCandidates)
    .map((entry) => entry.candidate);
  const input: RankingInput = {
    candidates: ranked.map((c) =>
      c.durationMs === undefined
        ? { videoId: c.videoId }
        : { videoId: c.videoId, durationMs: c.durationMs },
    ),
    user: context.user,
    request: context.request,
    objective: context.objective ?? defaultObjective,
  };
  if (admitted !== 'MODEL') {
    if (admitted === 'PROBE' && guard !== undefined) {
      // The probe runs beside the reply, never in its way: this request is served the blend.
      const started = performance.now();
      ranker.rank(input).then(
        () => guard.probed(performance.now() - started),
        () => guard.probed(Number.POSITIVE_INFINITY),
      );
    }
    return { scores: blend, predictions: new Map(), mode: 'SIMPLIFIED' };
  }
  const started = performance.now();
  let verdicts: readonly RankedCandidate[];
  try {
    verdicts = await ranker.rank(input);
  } catch (error) {
    guard?.record(Number.POSITIVE_INFINITY);
    const failure = `${ranker.name} failed: ${error instanceof Error ? error.message : String(error)}`;
    return { scores: blend, predictions: new Map(), mode: 'SIMPLIFIED', failure };
  }
  guard?.record(performance.now() - started);
  const predictions = new Map<string, RankedCandidate>();
  ranked.forEach((candidate, i) => {
    const verdict = verdicts[i];
    if (verdict !== undefined) {
      predictions.set(candidate.videoId, verdict);
    }
  });
  return {
    scores: modelScores(candidates, predictions, {
      blend,
      blendWeight: input.objective.blendWeight ?? 0,
    }),
    predictions,
    mode: 'MODEL',
  };
}

/** Candidates the model scores at most per request (the seed's funnel: about 1,000). */
export const defaultMaxRankedCandidates = 1_000;

/**
 * The model's score for the candidates it ranked, plus `blendWeight` times their blend score
 * over the best blend score of the request ({@link RankingObjective.blendWeight}); below every
 * one of them, in blend order, those it did not (cut by `maxCandidates`).
 */
function modelScores(
  candidates: readonly Candidate[],
  predictions: ReadonlyMap<string, RankedCandidate>,
  { blend, blendWeight }: { blend: ReadonlyMap<string, number>; blendWeight: number },
): Map<string, number> {
  let bestBlend = 0;
  if (blendWeight !== 0) {
    for (const videoId of predictions.keys()) {
      bestBlend = Math.max(bestBlend, blend.get(videoId) ?? 0);
    }
  }
  // The ranked candidates' scores first, once each: the floor of the others is their lowest.
  const scores = new Map<string, number>();
  let lowest = Number.POSITIVE_INFINITY;
  for (const [videoId, prediction] of predictions) {
    const score =
      bestBlend > 0
        ? prediction.score + (blendWeight * (blend.get(videoId) ?? 0)) / bestBlend
        : prediction.score;
    scores.set(videoId, score);
    lowest = Math.min(lowest, score);
  }
  const floor = Number.isFinite(lowest) ? lowest : 0;
  // The blend is in [0, Σ weights], about 1.5: scaled into [floor - 1, floor).
  for (const candidate of candidates) {
    if (!predictions.has(candidate.videoId)) {
      scores.set(
        candidate.videoId,
        floor - 1 + Math.min(1, (blend.get(candidate.videoId) ?? 0) / 2),
      );
    }
  }
  return scores;
}
