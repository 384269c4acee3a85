import type { MovieLensRating } from '../replay/movieLensTypes.js';
import type { Catalogue, ItemScorer } from './itemScores.js';

const dayMs = 86_400_000;

/**
 * Recency-decayed popularity: every training rating counts `0.5^(age / half-life)`, with its
 * age taken at `referenceMs` (the end of the training part: the cut-off), and an item scores
 * the sum over its ratings. The same list for every user (seen items are left out when
 * ranking, itemScores.ts). With an infinite half-life it is most-popular. The half-life is
 * chosen on the validation window (baselines.ts).
 *
 * @example
 * ```ts
 * const scorer = recencyPopularity(split.train, { catalogue, referenceMs: cutoffMs, halfLifeDays: 7 });
 * ```
 */
export function recencyPopularity(
  train: readonly MovieLensRating[],
  options: { catalogue: Catalogue; referenceMs: number; halfLifeDays: number },
): ItemScorer {
  const { catalogue } = options;
  const halfLifeMs = options.halfLifeDays * dayMs;
  if (!(halfLifeMs > 0)) {
    throw new RangeError(`a half-life must be positive, not ${options.halfLifeDays} days`);
  }
  const scores = new Float64Array(catalogue.ids.length);
  for (const rating of train) {
    const index = catalogue.indexOf.get(rating.movieId);
    if (index !== undefined) {
      const ageMs = Math.max(0, options.referenceMs - rating.timestamp * 1000);
      scores[index] = (scores[index] ?? 0) + Math.pow(0.5, ageMs / halfLifeMs);
    }
  }
  return () => scores;
}
