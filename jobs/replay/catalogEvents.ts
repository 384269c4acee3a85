import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { movieLensIds } from './movieLensIds.js';
import type { MovieLensMovie } from './movieLensTypes.js';
import { movieLensRegion } from './userProfile.js';

/**
 * A movie as a catalogue record (`catalog.videos`), by this rule:
 *
 * - `videoId` `ml-m<id>`; `creatorId` `ml-c<id>`: MovieLens has no creators, so each movie is
 *   its own and per-creator affinity and diversity caps have no effect on replayed data;
 * - `durationMs` from {@link syntheticDurationMs} (`u.item` has no running time);
 * - `category` the slug ({@link genreSlug}) of the movie's first genre in `u.genre` order,
 *   skipping `unknown` unless it is the only one; `tags` the slugs of all its genres;
 * - `region` {@link movieLensRegion};
 * - `eventTime` the catalogue time (the replay writes the whole catalogue first, at the time of
 *   the first replayed rating), `uploadTime` the release date shifted like the ratings, but
 *   never after the catalogue time (release dates run to Oct 1998, past the last rating);
 *   the catalogue time when the release date is unknown (movie 267).
 */
export function movieToVideoUpload(
  movie: MovieLensMovie,
  time: { catalogTimeMs: number; offsetMs: number },
): VideoUpload {
  const known = movie.genres.filter((g) => g !== 'unknown');
  const primary = known[0] ?? movie.genres[0] ?? 'unknown';
  const release = movie.releaseTime === undefined ? Infinity : movie.releaseTime + time.offsetMs;
  return {
    videoId: movieLensIds.video(movie.movieId),
    creatorId: movieLensIds.creator(movie.movieId),
    durationMs: syntheticDurationMs(movie.movieId),
    category: genreSlug(primary),
    tags: movie.genres.map(genreSlug),
    region: movieLensRegion,
    uploadTime: Math.min(release, time.catalogTimeMs),
    eventTime: time.catalogTimeMs,
  };
}

/** `Children's` → `childrens`, `Sci-Fi` → `sci-fi`, `Film-Noir` → `film-noir`. */
export function genreSlug(genre: string): string {
  return genre
    .toLowerCase()
    .replace(/'/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * A stand-in running time, since `u.item` has none: 20 to 120 whole seconds, fixed per movie
 * by an integer hash of its id (the same on every run and machine). Movies are replayed as
 * short videos so that a rating becomes a handful of heartbeats, not hundreds.
 */
export function syntheticDurationMs(movieId: number): number {
  let h = Math.imul(movieId ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return (20 + (h % 101)) * 1000;
}
