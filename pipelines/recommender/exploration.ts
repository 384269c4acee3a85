/**
 * The exploration slot: a share of a reply's positions (5% by default) filled by Thompson
 * sampling over fresh videos instead of by the ranking, so new videos get impressions whatever
 * their (absent) history, and training gets outcomes the ranking did not choose (the item is
 * marked `explored`, its source `EXPLORATION`).
 *
 * **Which positions.** Each position independently with probability `share`, drawn from the
 * request's seeded generator (random.ts): over many replies the explored share of positions is
 * `share` whatever the lists' lengths (one slot in 20 would need lists of 20 to come out at 5%,
 * and would always explore the same position), and a reply is reproducible from its request id.
 * A position is explored only when a fresh candidate is left, so the share served can fall
 * below `share` where fresh videos run out (the demo prints the share served).
 *
 * **Which video.** Thompson sampling (Thompson 1933; Chapelle and Li, "An Empirical Evaluation
 * of Thompson Sampling", NIPS 2011): one draw from each fresh candidate's Beta posterior of its
 * click-through rate (pipelines/explorationPosteriors.ts; the prior for a video without one), the
 * highest draw wins. A video with few impressions has a wide posterior and wins now and then; one
 * that proved itself wins often; one that did not, rarely.
 */
import type { RecommendedItem } from '../../schemas/generated/recommendationReply.js';
import { betaSample, type Random } from './random.js';

/** Share of positions explored by default. */
export const defaultExplorationShare = 0.05;

/** A fresh video the slot may show, with its posterior. */
export interface ExplorationCandidate {
  readonly videoId: string;
  readonly alpha: number;
  readonly beta: number;
}

/**
 * The positions of a list of `count` to explore, ascending: `count` draws from `random`, always
 * (so the draws after them do not depend on which positions came out).
 */
export function explorationPositions(count: number, share: number, random: Random): number[] {
  const positions: number[] = [];
  for (let position = 0; position < count; position++) {
    if (random() < share) {
      positions.push(position);
    }
  }
  return positions;
}

/** Thompson sampling: the candidate with the highest Beta draw (ties: the earlier one). */
export function thompsonPick<TCandidate extends ExplorationCandidate>(
  candidates: readonly TCandidate[],
  random: Random,
): TCandidate | undefined {
  let best: TCandidate | undefined;
  let bestDraw = -1;
  for (const candidate of candidates) {
    const draw = betaSample(candidate.alpha, candidate.beta, random);
    if (draw > bestDraw) {
      best = candidate;
      bestDraw = draw;
    }
  }
  return best;
}

/**
 * The ranked list with its explored positions filled: at each position of `positions` (in a
 * list of at most `count`) the Thompson winner among `fresh` not yet shown, the ranked items
 * moved down by one and the last cut off. An explored item scores as the ranked item it
 * displaced (the previous item's score past the ranked list's end), so the list stays in score
 * order. `fresh` must already leave out what the user has seen and what the ranked list holds.
 */
export function withExploration(
  ranked: readonly RecommendedItem[],
  slot: {
    readonly positions: readonly number[];
    readonly count: number;
    readonly fresh: readonly ExplorationCandidate[];
    readonly random: Random;
  },
): RecommendedItem[] {
  if (slot.positions.length === 0 || slot.fresh.length === 0) {
    return [...ranked];
  }
  const explore = new Set(slot.positions);
  let pool = [...slot.fresh];
  const items: RecommendedItem[] = [];
  let next = 0;
  for (let position = 0; position < slot.count; position++) {
    const winner = explore.has(position) ? thompsonPick(pool, slot.random) : undefined;
    if (winner !== undefined) {
      pool = pool.filter((c) => c !== winner);
      const score = ranked[next]?.score ?? items[items.length - 1]?.score ?? 0;
      items.push({
        videoId: winner.videoId,
        score,
        sources: ['EXPLORATION'],
        predictedClick: null,
        predictedWatchSeconds: null,
        explored: true,
      });
      continue;
    }
    const item = ranked[next];
    if (item === undefined) {
      break;
    }
    items.push(item);
    next += 1;
  }
  return items;
}
