import { delimitedLines, intField, textField, type DelimitedLine } from './delimitedLines.js';
import { MovieLensFormatError } from './movieLensErrors.js';
import type { MovieLensMovie } from './movieLensTypes.js';

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses `u.item` (decoded as ISO-8859-1 by the caller): `movie_id|title|release_date|
 * video_release_date|IMDb_URL|` then one 0/1 flag per genre of `u.genre`, in that order.
 */
export function parseMovies(
  text: string,
  context: { genres: readonly string[]; file?: string },
): Map<number, MovieLensMovie> {
  const file = context.file ?? 'u.item';
  const movies = new Map<number, MovieLensMovie>();
  const fieldCount = 5 + context.genres.length;
  for (const line of delimitedLines(text, { file, separator: '|', minFields: fieldCount })) {
    const movieId = intField(line, 0, { name: 'movie_id', min: 1, max: 2 ** 31 - 1 });
    if (movies.has(movieId)) {
      throw new MovieLensFormatError({ file, line: line.line }, `movie ${movieId} listed twice`);
    }
    const genres = context.genres.filter(
      (_, index) =>
        intField(line, 5 + index, { name: `genre flag ${index}`, min: 0, max: 1 }) === 1,
    );
    movies.set(movieId, {
      movieId,
      title: textField(line, 1, 'title'),
      releaseTime: releaseTime(line),
      genres,
    });
  }
  return movies;
}

/** `dd-Mon-yyyy` as Unix milliseconds at 00:00 UTC; empty means unknown (movie 267). */
function releaseTime(line: DelimitedLine): number | undefined {
  const raw = textField(line, 2, 'release_date').trim();
  if (raw === '') {
    return undefined;
  }
  const match = /^(\d{1,2})-([A-Z][a-z]{2})-(\d{4})$/.exec(raw);
  const month = months.indexOf(match?.[2] ?? '');
  if (match === null || month < 0) {
    throw new MovieLensFormatError(
      { file: line.file, line: line.line },
      `release_date must look like 01-Jan-1995, got "${raw}"`,
    );
  }
  return Date.UTC(Number(match[3]), month, Number(match[1]));
}
