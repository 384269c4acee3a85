/** What the evaluation asks a recommender for one user. */
export interface RecommendRequest {
  readonly userId: number;
  /** How many movies to return (the largest K of the metrics). */
  readonly count: number;
  /**
   * The user's training movies. A recommender should leave them out (the serving path filters
   * watched videos itself); the evaluation masks them again either way (rankingMetrics.ts).
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
