import type { MovieLensRating } from '../replay/movieLensTypes.js';
import { ease } from './ease.js';
import { itemKnnFamily } from './itemKnn.js';
import { catalogueOf, interactionsOf, recommenderOf } from './itemScores.js';
import { mostPopular } from './mostPopular.js';
import { recencyPopularity } from './recencyPopularity.js';
import type { Recommender } from './recommender.js';
import {
  defaultValidationDays,
  evaluationUsers,
  validationSplit,
  type EvaluationUser,
} from './timeSplit.js';
import { evaluateRecommender, metricValues, type MetricSpec } from './userMetrics.js';

/** The hyperparameter values tried on the validation window, in order. */
export interface BaselineGrids {
  readonly halfLifeDays: readonly number[];
  readonly easeLambda: readonly number[];
  readonly knnNeighbours: readonly number[];
}

/**
 * The default grids. EASE's λ is on the scale of the item counts (tens to a few hundred
 * ratings per item in the training part); ItemKNN's largest value keeps every neighbour.
 */
export const defaultGrids: BaselineGrids = {
  halfLifeDays: [1, 2, 3, 5, 7, 10, 14, 21, 30, 60, 120],
  easeLambda: [50, 100, 200, 400, 800, 1600],
  knnNeighbours: [10, 20, 50, 100, 200, 400, 1682],
};

/**
 * What hyperparameters and the best baseline are chosen by: NDCG@10 with any rating relevant,
 * over the validation users with history in validation-training (the users the personalised
 * baselines differ on; without history they all serve the most-popular order).
 */
export const selectionMetric: MetricSpec = { name: 'ndcg@10', kind: 'ndcg', k: 10 };

/** A baseline fitted on the whole training part with its chosen hyperparameter. */
export interface TunedBaseline {
  /** The table's row name, with the chosen value, e.g. `EASE (λ=400)`. */
  readonly name: string;
  readonly recommender: Recommender;
  /** Its mean selection metric on the validation window (with the chosen value). */
  readonly validationScore: number;
}

/** The tuned baselines, the best of them, and what was tried (lines for the log). */
export interface BaselineTuning {
  readonly baselines: readonly TunedBaseline[];
  /** Name of the baseline with the best validation score: the reference of the differences. */
  readonly best: string;
  /** The recency-decayed popularity's half-life chosen on the validation window, in days. */
  readonly popularityHalfLifeDays: number;
  readonly report: readonly string[];
}

/**
 * Most-popular, recency-decayed popularity, EASE and ItemKNN, tuned on the validation window
 * and refitted on the whole training part. The validation window is the last `validationDays`
 * days before `cutoffMs` (timeSplit.ts, validationSplit); each hyperparameter value is fitted on
 * the ratings before it, every validation user with history is asked for a top 10 (seen items
 * filtered first), and the value with the best mean {@link selectionMetric} wins (the first in
 * grid order on a tie). Then every baseline is fitted on the whole of `train` with its value;
 * the best baseline is the one with the best validation score. Nothing at or after `cutoffMs`
 * is read (`train` must end before it: validationSplit throws otherwise).
 *
 * @example
 * ```ts
 * const tuning = await tuneBaselines({ train: split.train, catalogue: data.movies.keys(), cutoffMs });
 * ```
 */
export async function tuneBaselines(options: {
  train: readonly MovieLensRating[];
  catalogue: Iterable<number>;
  cutoffMs: number;
  validationDays?: number;
  grids?: BaselineGrids;
}): Promise<BaselineTuning> {
  const grids = options.grids ?? defaultGrids;
  const validationDays = options.validationDays ?? defaultValidationDays;
  const catalogue = catalogueOf(options.catalogue);
  const validation = validationSplit(options.train, {
    cutoffMs: options.cutoffMs,
    validationDays,
  });
  const users = evaluationUsers(validation, { minSeen: 1 });
  if (users.length === 0) {
    throw new RangeError(
      `no user with history rated anything in the ${validationDays} validation days before the cut-off`,
    );
  }
  const startMs = validation.cutoffMs;
  const report = [
    `validation window: ${day(startMs)} to ${day(options.cutoffMs - 1)} (${validation.test.length} ratings), ` +
      `fitted on the ${validation.train.length} ratings before it; ${users.length} users with history judged ` +
      `by ${selectionMetric.name} (any rating relevant); the test window is not read`,
  ];
  const score = (recommender: Recommender): Promise<number> => meanOf(recommender, users);
  const validationInteractions = interactionsOf(validation.train, catalogue);

  const popularScore = await score(
    mostPopular({ train: validation.train, catalogue: catalogue.ids }),
  );
  report.push(`  most-popular: ${popularScore.toFixed(4)}`);

  const halfLife = await choose('recency-decayed popularity, half-life in days', {
    grid: grids.halfLifeDays,
    score: (days) =>
      score(
        recommenderOf(
          recencyPopularity(validation.train, {
            catalogue,
            referenceMs: startMs,
            halfLifeDays: days,
          }),
          validationInteractions,
        ),
      ),
    report,
  });
  const lambda = await choose('EASE, λ', {
    grid: grids.easeLambda,
    score: (value) =>
      score(recommenderOf(ease(validationInteractions, { lambda: value }), validationInteractions)),
    report,
  });
  const validationKnn = itemKnnFamily(validationInteractions);
  const neighbours = await choose('ItemKNN (cosine), neighbours per item', {
    grid: grids.knnNeighbours,
    score: (k) => score(recommenderOf(validationKnn(k), validationInteractions)),
    report,
  });

  const full = interactionsOf(options.train, catalogue);
  const baselines: TunedBaseline[] = [
    {
      name: 'most-popular',
      recommender: mostPopular({ train: options.train, catalogue: catalogue.ids }),
      validationScore: popularScore,
    },
    {
      name: `popularity, half-life ${halfLife.value} d`,
      recommender: recommenderOf(
        recencyPopularity(options.train, {
          catalogue,
          referenceMs: options.cutoffMs,
          halfLifeDays: halfLife.value,
        }),
        full,
      ),
      validationScore: halfLife.score,
    },
    {
      name: `EASE (λ=${lambda.value})`,
      recommender: recommenderOf(ease(full, { lambda: lambda.value }), full),
      validationScore: lambda.score,
    },
    {
      name: `ItemKNN (k=${neighbours.value})`,
      recommender: recommenderOf(itemKnnFamily(full)(neighbours.value), full),
      validationScore: neighbours.score,
    },
  ];
  const best = baselines.reduce((a, b) => (b.validationScore > a.validationScore ? b : a));
  report.push(
    `best baseline on the validation window: ${best.name} (${best.validationScore.toFixed(4)}); ` +
      'the differences below are against it',
  );
  return { baselines, best: best.name, popularityHalfLifeDays: halfLife.value, report };
}

async function choose(
  label: string,
  options: {
    grid: readonly number[];
    score: (value: number) => Promise<number>;
    report: string[];
  },
): Promise<{ value: number; score: number }> {
  let best: { value: number; score: number } | undefined;
  const tried: string[] = [];
  for (const value of options.grid) {
    const score = await options.score(value);
    tried.push(`${value}: ${score.toFixed(4)}`);
    if (best === undefined || score > best.score) {
      best = { value, score };
    }
  }
  if (best === undefined) {
    throw new RangeError(`no value to try for ${label}`);
  }
  options.report.push(`  ${label}: ${tried.join(', ')} → ${best.value}`);
  return best;
}

async function meanOf(recommender: Recommender, users: readonly EvaluationUser[]): Promise<number> {
  const perUser = await evaluateRecommender(recommender, { users, metrics: [selectionMetric] });
  const values = metricValues(perUser, selectionMetric.name);
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
