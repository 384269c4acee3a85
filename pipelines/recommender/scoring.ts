import type { CandidateSource } from '../../schemas/generated/recommendationReply.js';

/**
 * The first recommender's score: a transparent weighted blend of per-source signals, each
 * normalised to [0, 1] before weighting, so a weight reads as "how much this source counts".
 *
 *   score = 0.40·coVisitation + 0.20·categoryAffinity + 0.10·creatorAffinity
 *         + 0.15·trending + 0.15·popularInRegion + 0.10·freshness + 0.05·popularity
 *         (+ 0.40·twoTower)
 *
 * - coVisitation: Σ over the user's recent watches w of neighbourScore(w → v) · recency(w),
 *   recency = 1 / (1 + rank of w in the recent list), divided by the best candidate's sum;
 * - categoryAffinity, creatorAffinity: the user's affinity to the video's category / creator,
 *   decayed to request time with the features' half-life, divided by the user's strongest;
 * - trending: the video's score in the last hour's trending lists that proposed it (in the
 *   region, in the user's categories), divided by the list's top score, the highest of them;
 * - popularInRegion: the video's score in the region's popular list (days, the fallback's
 *   list), divided by the list's top score. A signal of its own, not one more list of
 *   `trending`: an hour's list of a handful of playbacks would otherwise count as much as
 *   weeks of them, and no weight could give the fallback's order back (docs/evaluation.md);
 * - freshness: exp(−age / 6 h) of the upload;
 * - popularity: log1p(views in the last hour) / log1p(the most viewed candidate's).
 * - twoTower (only when the serving job has a two-tower model): the cosine of the user's and
 *   the video's vectors, clipped at 0, divided by the best candidate's.
 * - currentVideo (up-next requests only): how close the candidate is to the video being
 *   watched (upNext.ts), divided by the best candidate's.
 *
 * Co-visitation weighs most because it is the only signal specific to what this user just
 * did; affinities personalise the rest; trending, freshness and popularity break ties and
 * give new videos exposure. The weights are a starting point for the bandit and learned
 * rankers that replace them (the seed's MMoE ranking).
 */
export const scoreWeights = {
  coVisitation: 0.4,
  categoryAffinity: 0.2,
  creatorAffinity: 0.1,
  trending: 0.15,
  popularInRegion: 0.15,
  freshness: 0.1,
  popularity: 0.05,
  // Two-tower retrieval (only when the serving job has a model): the cosine of the user's and
  // the video's vectors, clipped at 0; as much as co-visitation, the other signal of this
  // user's own history. A starting point, not tuned.
  twoTower: 0.4,
  // Up-next requests only (upNext.ts): the candidate's closeness to the video being watched,
  // its co-visitation score over the best neighbour's or its cosine, the higher. Above every
  // other weight: what follows this video matters more on that surface than the user's
  // general taste. Zero on every other request, so their scores do not change.
  currentVideo: 1,
} as const;

/** @see scoreWeights */
export type Signal = keyof typeof scoreWeights;

/** A weight per signal: {@link scoreWeights} by default, or a set chosen on a validation window. */
export type BlendWeights = Readonly<Record<Signal, number>>;

/** Uploads lose half their freshness bonus in about 4 hours (e-folding time 6 h). */
export const freshnessTimeMs = 6 * 3_600_000;

/** A candidate video with what the sources and features say about it. */
export interface Candidate {
  readonly videoId: string;
  readonly sources: Set<CandidateSource>;
  /** Raw signal values before normalisation; missing means 0. */
  readonly raw: Partial<Record<Signal, number>>;
  creatorId?: string;
  category?: string;
  /** The video's length, from its catalogue record: the ranking model's item input. */
  durationMs?: number;
}

/** Adds `value` to a candidate's raw signal (several recent watches can propose one video). */
export function addSignal(candidate: Candidate, signal: Signal, value: number): void {
  candidate.raw[signal] = (candidate.raw[signal] ?? 0) + value;
}

/** Every signal at 0: the start of a request's maxima (one shape, so reads stay fast). */
const noSignal: Readonly<Record<Signal, number>> = Object.fromEntries(
  Object.keys(scoreWeights).map((signal) => [signal, 0]),
) as Record<Signal, number>;

/**
 * The blended score of each candidate, signals normalised by their maximum over all of them.
 * Run on every candidate of every request (about a thousand): a loop over each candidate's own
 * signals, without the arrays `Object.entries` would make per candidate.
 */
export function blendScores(
  candidates: readonly Candidate[],
  weights: BlendWeights = scoreWeights,
): Map<string, number> {
  const maxima = { ...noSignal };
  for (const candidate of candidates) {
    const raw = candidate.raw;
    for (const signal in raw) {
      maxima[signal as Signal] = Math.max(maxima[signal as Signal], raw[signal as Signal] ?? 0);
    }
  }
  const scores = new Map<string, number>();
  for (const candidate of candidates) {
    const raw = candidate.raw;
    let score = 0;
    for (const signal in raw) {
      const max = maxima[signal as Signal];
      if (max > 0) {
        score += weights[signal as Signal] * ((raw[signal as Signal] ?? 0) / max);
      }
    }
    scores.set(candidate.videoId, score);
  }
  return scores;
}

/** A score decayed from `updatedTime` to `now` with half-life `halfLifeMs`. */
export function decayed(
  affinity: { readonly score: number; readonly updatedTime: number },
  at: { readonly now: number; readonly halfLifeMs: number },
): number {
  const age = Math.max(0, at.now - affinity.updatedTime);
  return at.halfLifeMs > 0 ? affinity.score * Math.pow(0.5, age / at.halfLifeMs) : affinity.score;
}
