import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { parseGenres } from './genresFile.js';
import { MovieLensFormatError } from './movieLensErrors.js';
import type { MovieLensData, MovieLensRating } from './movieLensTypes.js';
import { parseMovies } from './moviesFile.js';
import { parseRatings } from './ratingsFile.js';
import { parseUsers } from './usersFile.js';

/**
 * Where the shared copy of MovieLens-100K lives: `../shared/data/movielens-100k` beside the
 * repository. It is read in place; it is never copied into the repository (its licence forbids
 * redistribution).
 */
export const defaultMovieLensDir = resolve(repoRoot, '..', 'shared', 'data', 'movielens-100k');

/** The files read, by role. `u.occupation`, `u.info` and the README are not needed. */
export const movieLensFiles = {
  ratings: 'u.data',
  movies: 'u.item',
  users: 'u.user',
  genres: 'u.genre',
} as const;

/**
 * Reads a MovieLens-100K folder (or any folder of files in that format). Throws
 * {@link MovieLensFormatError} naming the file and line when the folder or a file is missing, a
 * line is malformed, or a rating names a user or movie the other files do not list.
 *
 * @example
 * ```ts
 * const data = await loadMovieLens(defaultMovieLensDir);
 * data.ratings.length; // 96,340 in the shared (held-back) copy
 * ```
 */
export async function loadMovieLens(dir: string): Promise<MovieLensData> {
  await requireFolder(dir);
  const [ratingsText, itemText, usersText, genresText] = await Promise.all([
    readText(dir, movieLensFiles.ratings, 'utf8'),
    // u.item is ISO-8859-1 (a few accented titles).
    readText(dir, movieLensFiles.movies, 'latin1'),
    readText(dir, movieLensFiles.users, 'utf8'),
    readText(dir, movieLensFiles.genres, 'utf8'),
  ]);
  const path = (name: string): string => join(dir, name);
  const genres = parseGenres(genresText, path(movieLensFiles.genres));
  const movies = parseMovies(itemText, { genres, file: path(movieLensFiles.movies) });
  const users = parseUsers(usersText, path(movieLensFiles.users));
  const ratings: MovieLensRating[] = [];
  const ratingsFile = path(movieLensFiles.ratings);
  for (const { rating, line } of parseRatings(ratingsText, ratingsFile)) {
    if (!users.has(rating.userId)) {
      throw new MovieLensFormatError(
        { file: ratingsFile, line },
        `user ${rating.userId} is not in ${movieLensFiles.users}`,
      );
    }
    if (!movies.has(rating.movieId)) {
      throw new MovieLensFormatError(
        { file: ratingsFile, line },
        `movie ${rating.movieId} is not in ${movieLensFiles.movies}`,
      );
    }
    ratings.push(rating);
  }
  if (ratings.length === 0) {
    throw new MovieLensFormatError({ file: ratingsFile }, 'no ratings');
  }
  return { ratings, movies, users, genres };
}

/** Whether `dir` holds the four MovieLens files (for tests that skip without the data). */
export async function movieLensAvailable(dir: string = defaultMovieLensDir): Promise<boolean> {
  try {
    await Promise.all(Object.values(movieLensFiles).map((name) => stat(join(dir, name))));
    return true;
  } catch {
    return false;
  }
}

async function requireFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    throw new MovieLensFormatError(
      { file: dir },
      `no MovieLens folder here (expected ${Object.values(movieLensFiles).join(', ')}; pass --data <dir>)`,
    );
  }
}

async function readText(dir: string, name: string, encoding: 'utf8' | 'latin1'): Promise<string> {
  try {
    return await readFile(join(dir, name), encoding);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new MovieLensFormatError(
      { file: join(dir, name) },
      code === 'ENOENT' ? 'file missing' : `cannot read: ${String(code ?? error)}`,
    );
  }
}
