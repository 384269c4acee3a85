import {
  trainOnTrainingPart,
  twoTowerEpochs,
  twoTowerSeed,
  type TrainedModel,
  type TwoTowerTrainingOptions,
} from './twoTower.js';
import { bestOnGrid } from './servedTuning.js';

/**
 * The `served funnel` row of `reelstream evaluate`: issue 23's funnel as served, through the
 * real system. The candidates and their blend are the served two-tower row's (co-visitation,
 * popular, fresh and two-tower retrieval; the weights chosen on the validation window); the
 * MMoE ranker scores them all in one batch by the served objective (expected watch time and
 * click probability, `pipelines/recommender/ranking.ts`), then MMR, the per-creator cap and the
 * exploration slot re-rank as for every served row. Its paired difference against the served
 * two-tower row is the ranking stage's worth: the same candidates without it.
 *
 * **The ranker** is the trainer's MMoE trained on the same examples as the two-tower row (the
 * training part, every example: `--validation-fraction 0`; seed and epochs as the two-tower's),
 * with {@link rankerSampledNegatives} sampled non-clicks per example (`--sampled-negatives`,
 * examples.py): MovieLens has no impressions a user passed over, so without them the model
 * could only learn the stand-in tasks (how a movie the user chose is rated), which order
 * movies the user already picked, not which of a thousand candidates they pick. Nothing of
 * it is chosen on the test window, nor on the validation window: the trainer's defaults and a
 * fixed ratio. Cached like the two-tower models.
 */
export const servedFunnelName = 'served funnel (+ MMoE ranking)';

/** Items drawn from the catalogue as non-clicks beside each rated one. */
export const rankerSampledNegatives = 4;

/** The served funnel's MMoE, trained on the training part (cached); or why there is none. */
export function trainRanker(options: TwoTowerTrainingOptions): Promise<TrainedModel> {
  return trainOnTrainingPart(options, {
    model: 'mmoe',
    epochs: twoTowerEpochs,
    flags: [
      '--seed',
      String(twoTowerSeed),
      '--validation-fraction',
      '0',
      '--sampled-negatives',
      String(rankerSampledNegatives),
      '--threads',
      '2',
    ],
  });
}

/**
 * Weights of the retrieval blend beside the ranker's objective (`RankingObjective.blendWeight`)
 * tried on the validation window, the default (the model alone) first. 16 and 32 since
 * 2026-12-07: the validation window of the default cut-off chose 8, the grid's edge.
 */
export const rankerBlendWeights = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32] as const;

/**
 * The blend weight with the best `score` (higher is better; the first on a tie), and a line for
 * the log with every score.
 */
export async function chooseRankerBlend(
  score: (blendWeight: number) => Promise<number>,
  grid: readonly number[] = rankerBlendWeights,
): Promise<{ blendWeight: number; score: number; report: string }> {
  const chosen = await bestOnGrid(grid, score, String);
  return {
    blendWeight: chosen.best,
    score: chosen.score,
    report: `  served funnel, weight of the blend beside the ranker's objective: ${chosen.tried} → ${chosen.best}`,
  };
}
