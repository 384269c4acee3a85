/** What the evaluation asks a recommender for one user. */
export interface RecommendRequest {
  readonly userId: number;
  /** How many movies to return (the largest K of the metrics). */
  readonly count: number;
  /**
   * The user's training movies: the history a baseline scores from, and what every recommender
   * must leave out **before** ranking, so that it returns `count` unseen movies (the protocol is
   * the same for all). The evaluation masks them again afterwards only as a safety net, and
   * reports how many it masked (userMetrics.ts, collectLists).
   */
  readonly seen: ReadonlySet<number>;
}

/**
 * Anything that ranks movies for a user, best first: the most-popular reference function, or an
 * adapter that sends a recommendation request through the real serving path and maps the
 * reply's video ids back to movie ids (`movieIdOfVideo`, jobs/replay/movieLensIds.ts).
 */
export type Recommender = (
  request: RecommendRequest,
) => readonly number[] | Promise<readonly number[]>;
