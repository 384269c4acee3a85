import { defaultReferenceParams } from '../../pipelines/reference/userFeaturesBatch.js';

/** What check-replay found at one point, as far as its verdict goes. */
export interface PointOutcome {
  readonly differences: readonly string[];
  /** Creators the batch computation keeps for the user (at most the bound). */
  readonly expectedCreators: number;
}

/** The points by verdict: equal, different only within the creator bound, different otherwise. */
export interface PointVerdicts {
  readonly equal: number;
  readonly creatorBoundOnly: number;
  readonly other: number;
}

/**
 * Sorts the points by verdict. A point differs "only within the creator bound" when every
 * difference is in creator affinity and the user's creators fill the bound of
 * `pipelines/userFeatures.ts` (50): the pipeline keeps the strongest creators as events come,
 * the batch computation the exact top 50, and they part only once a user has more than 50.
 */
export function pointVerdicts(
  points: readonly PointOutcome[],
  creatorBound: number = defaultReferenceParams.creators,
): PointVerdicts {
  let equal = 0;
  let creatorBoundOnly = 0;
  for (const point of points) {
    if (point.differences.length === 0) {
      equal++;
    } else if (
      point.expectedCreators >= creatorBound &&
      point.differences.every((d) => d.startsWith('creator ') || d.startsWith('creators:'))
    ) {
      creatorBoundOnly++;
    }
  }
  return { equal, creatorBoundOnly, other: points.length - equal - creatorBoundOnly };
}
