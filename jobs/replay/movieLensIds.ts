/**
 * How MovieLens ids become the string ids of the event schemas. The prefixes keep replayed
 * users and videos apart from the traffic generator's (`user-…`, `video-…`) on a shared stack.
 */
export const movieLensIds = {
  /** MovieLens user 196 → `ml-u196`. */
  user: (userId: number): string => `ml-u${userId}`,
  /** MovieLens movie 242 → `ml-m242`. */
  video: (movieId: number): string => `ml-m${movieId}`,
  /** MovieLens has no creators: each movie is its own creator, `ml-c242`. */
  creator: (movieId: number): string => `ml-c${movieId}`,
  /** One playback per rating: `ml-s196-242`. */
  session: (userId: number, movieId: number): string => `ml-s${userId}-${movieId}`,
  /** One recommendation list per (user, rating second): `ml-r196-881250949`. */
  request: (userId: number, timestamp: number): string => `ml-r${userId}-${timestamp}`,
} as const;

/** The MovieLens movie id of a replayed video id (`ml-m242` → 242), or undefined for other ids. */
export function movieIdOfVideo(videoId: string): number | undefined {
  return numberAfter(videoId, 'ml-m');
}

/** The MovieLens user id of a replayed user id (`ml-u196` → 196), or undefined for other ids. */
export function userIdOfUser(userId: string): number | undefined {
  return numberAfter(userId, 'ml-u');
}

function numberAfter(id: string, prefix: string): number | undefined {
  const rest = id.startsWith(prefix) ? id.slice(prefix.length) : '';
  return /^[1-9]\d*$/.test(rest) ? Number(rest) : undefined;
}
