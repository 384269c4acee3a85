import type { MovieLensRating } from '../replay/movieLensTypes.js';
import { rankByScore } from './rankingMetrics.js';
import type { RecommendRequest } from './recommender.js';

/**
 * The most-popular baseline as a plain function, for tests and for checking the numbers the
 * real evaluation (through the pipelines and the serving path) prints; it is not how the
 * recommender is evaluated. Scores every catalogue movie by its number of ratings in `train`
 * (any star value: a rating is an interaction), ranks by that count, ties by ascending movie id
 * (movies never rated in train come last, by id), and leaves out the user's seen movies.
 *
 * @example
 * ```ts
 * const recommend = mostPopular({ train: split.train, catalogue: data.movies.keys() });
 * recommend({ userId: 1, count: 10, seen: new Set([50]) }); // 10 movie ids
 * ```
 */
export function mostPopular(options: {
  train: readonly MovieLensRating[];
  catalogue: Iterable<number>;
}): (request: RecommendRequest) => number[] {
  const counts = new Map<number, number>();
  for (const movieId of options.catalogue) {
    counts.set(movieId, 0);
  }
  for (const rating of options.train) {
    counts.set(rating.movieId, (counts.get(rating.movieId) ?? 0) + 1);
  }
  // The whole catalogue in order once; each request filters its seen items.
  const ranking = rankByScore(counts, { k: counts.size });
  return (request) => {
    const list: number[] = [];
    for (const movieId of ranking) {
      if (list.length >= request.count) {
        break;
      }
      if (!request.seen.has(movieId)) {
        list.push(movieId);
      }
    }
    return list;
  };
}
