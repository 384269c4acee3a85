/** One line of `u.data`: a user rated a movie at a time. */
export interface MovieLensRating {
  /** `user_id`, 1-based. */
  readonly userId: number;
  /** `item_id`, 1-based (a `u.item` movie id). */
  readonly movieId: number;
  /** 1..5 stars. */
  readonly rating: number;
  /** Unix seconds, UTC. */
  readonly timestamp: number;
}

/** One line of `u.item`. */
export interface MovieLensMovie {
  readonly movieId: number;
  readonly title: string;
  /** Theatrical release date as Unix milliseconds at 00:00 UTC; undefined when the file has none. */
  readonly releaseTime: number | undefined;
  /** Names of the genres whose flag is 1, in `u.genre` order (may be empty). */
  readonly genres: readonly string[];
}

/** One line of `u.user`. */
export interface MovieLensUser {
  readonly userId: number;
  readonly age: number;
  readonly gender: 'M' | 'F';
  readonly occupation: string;
  /** As written: a 5-digit US ZIP code, or a Canadian postal-code prefix such as `T8H1N`. */
  readonly zipCode: string;
}

/** The parts of MovieLens-100K the replay and the evaluation read. */
export interface MovieLensData {
  /** In file order (the replay sorts them; see ratingOrder.ts). */
  readonly ratings: readonly MovieLensRating[];
  readonly movies: ReadonlyMap<number, MovieLensMovie>;
  readonly users: ReadonlyMap<number, MovieLensUser>;
  /** Genre names by index, from `u.genre`. */
  readonly genres: readonly string[];
}
