import { delimitedLines, intField } from './delimitedLines.js';
import type { MovieLensRating } from './movieLensTypes.js';

/** Largest id or timestamp accepted: anything beyond 2^31 is a corrupt line, not data. */
const maxInt = 2 ** 31 - 1;

/**
 * Parses `u.data`: `user_id TAB item_id TAB rating TAB timestamp`, no header. Returns the
 * ratings in file order, with the line number of each for error messages further on.
 */
export function parseRatings(
  text: string,
  file = 'u.data',
): { rating: MovieLensRating; line: number }[] {
  return delimitedLines(text, { file, separator: '\t', minFields: 4 }).map((line) => ({
    rating: {
      userId: intField(line, 0, { name: 'user_id', min: 1, max: maxInt }),
      movieId: intField(line, 1, { name: 'item_id', min: 1, max: maxInt }),
      rating: intField(line, 2, { name: 'rating', min: 1, max: 5 }),
      timestamp: intField(line, 3, { name: 'timestamp', min: 0, max: maxInt }),
    },
    line: line.line,
  }));
}
