import { scoreWeights, type BlendWeights } from '../../pipelines/recommender/scoring.js';

/**
 * What the evaluation chooses for the served recommender on the validation window, the way
 * baselines.ts chooses the baselines' hyperparameters: never on the test window.
 *
 * - Popular in region (the feature job's popular list, a candidate source and the fallback) is
 *   the recency-decayed popularity baseline's model, so it takes that baseline's half-life as
 *   chosen on the validation window, and lists {@link servedPopularTopK} videos so that enough
 *   are left once a user's seen ones are filtered out (a capacity, not tuned).
 * - The blend's weights: every pair of a weight of the popular-in-region signal (the
 *   fallback's list) and of co-visitation in {@link servedWeightGrid}, the other weights as in
 *   `scoreWeights`. The serving job is asked, at the start of the validation window with the
 *   training part before it replayed, for every validation user with history; the weights with
 *   the best mean NDCG@10 win (the first in grid order on a tie, the defaults first).
 */
export const servedPopularTopK = 200;

/**
 * Weights of the popular-in-region signal tried, the default first. Wide enough that the
 * choice is not at the grid's edge on MovieLens: when the popular list was part of the trending
 * signal, a grid stopping at 2.4 (and co-visitation at 0.1) had the validation window choose
 * both edges, so the best blend lay outside what was tried.
 */
export const popularWeights = [0.15, 0.3, 0.6, 1.2, 2.4, 4.8, 9.6, 19.2] as const;

/** Weights of co-visitation tried, the default first. */
export const coVisitationWeights = [0.4, 0.2, 0.1, 0.05, 0.025] as const;

/** Every blend tried on the validation window, in grid order (the defaults first). */
export function servedWeightGrid(): BlendWeights[] {
  return coVisitationWeights.flatMap((coVisitation) =>
    popularWeights.map((popularInRegion) => ({ ...scoreWeights, coVisitation, popularInRegion })),
  );
}

/** `co-visitation 0.4, popular 0.15`: what the grid varies. */
export function weightsLabel(weights: BlendWeights): string {
  return `co-visitation ${weights.coVisitation}, popular ${weights.popularInRegion}`;
}

/**
 * Weights of the two-tower signal tried for the served two-tower row, the default first (down
 * to 0.025: the smallest, 0.1, was chosen when the grid stopped there).
 */
export const twoTowerWeights = [0.4, 0.025, 0.05, 0.1, 0.2, 0.8, 1.6, 3.2] as const;

/**
 * Every blend tried on the validation window for the served two-tower row: `base` (the served
 * row's chosen weights) with each weight of the two-tower signal in {@link twoTowerWeights}.
 */
export function twoTowerWeightGrid(base: BlendWeights): BlendWeights[] {
  return twoTowerWeights.map((twoTower) => ({ ...base, twoTower }));
}

/**
 * The best of `grid` by `score` (higher is better; the first on a tie, so a grid that lists its
 * default first keeps it unless something beats it), and each tried value's score for the log
 * as `label: score`. Rejects on an empty grid.
 */
export async function bestOnGrid<T>(
  grid: readonly T[],
  score: (value: T) => Promise<number>,
  label: (value: T) => string,
): Promise<{ best: T; score: number; tried: string }> {
  let best: { best: T; score: number } | undefined;
  const tried: string[] = [];
  for (const value of grid) {
    const result = await score(value);
    tried.push(`${label(value)}: ${result.toFixed(4)}`);
    if (best === undefined || result > best.score) {
      best = { best: value, score: result };
    }
  }
  if (best === undefined) {
    throw new RangeError('no values to try');
  }
  return { ...best, tried: tried.join(', ') };
}

/**
 * The grid's best weights by `score` (higher is better; the first on a tie), and a line for the
 * log with every score. Default grid: {@link servedWeightGrid}; with a grid of two-tower weights
 * ({@link twoTowerWeightGrid}) the line names those.
 */
export async function chooseWeights(
  score: (weights: BlendWeights) => Promise<number>,
  grid: readonly BlendWeights[] = servedWeightGrid(),
): Promise<{ weights: BlendWeights; score: number; report: string }> {
  const twoTower = grid.some((w) => w.twoTower !== grid[0]?.twoTower);
  const chosen = await bestOnGrid(grid, score, (weights) =>
    twoTower ? String(weights.twoTower) : `${weights.coVisitation}/${weights.popularInRegion}`,
  );
  return {
    weights: chosen.best,
    score: chosen.score,
    report: twoTower
      ? `  served two-tower blend, two-tower weights (${weightsLabel(chosen.best)}): ${chosen.tried} → two-tower ${chosen.best.twoTower}`
      : `  served blend, co-visitation/popular weights: ${chosen.tried} → ${weightsLabel(chosen.best)}`,
  };
}
