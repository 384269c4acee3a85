/**
 * "Up next": a request with `surface: 'UP_NEXT'` and the video being watched in its context.
 * The video being watched says more about what to play next than the user's history does, so
 * its neighbours become candidates with a signal of their own (`currentVideo`, weighted above
 * every other in scoring.ts), source `CURRENT_VIDEO_NEIGHBOURS`:
 * - its co-visitation neighbours (watched next to it by other users), at their score over the
 *   best neighbour's;
 * - its embedding neighbours: the candidates (from every source) whose item vectors are nearest
 *   to its own, at their cosine. The cosine is brute force over at most `scan` candidates (a
 *   few hundred dot products of the model's dimension, well under a millisecond), not an ANN
 *   search of the whole catalogue: the two-tower retriever's shards answer queries by user,
 *   not by item.
 * The current video itself is never returned (`exclusionOf` in recommend.ts).
 */
import type { CoVisitation } from '../../schemas/generated/coVisitation.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { itemSimilarity, type ItemVector } from './mmr.js';
import type { Candidate } from './scoring.js';

/** Candidates whose vectors are compared with the current video's, best-proposed first. */
export const defaultUpNextScan = 500;

/** The nearest candidates by vector that become current-video neighbours. */
export const defaultUpNextNeighbours = 20;

/** The video an up-next request is for; undefined for every other request. */
export function currentVideoOf(request: RecommendationRequest): string | undefined {
  return request.surface === 'UP_NEXT' ? (request.context?.currentVideoId ?? undefined) : undefined;
}

/** Proposes the current video's co-visitation neighbours (`propose` adds the source). */
export function proposeCoVisited(
  neighbours: CoVisitation | undefined,
  propose: (videoId: string) => Candidate,
): void {
  const top = Math.max(0, ...(neighbours?.neighbours ?? []).map((n) => n.score));
  for (const neighbour of neighbours?.neighbours ?? []) {
    const candidate = propose(neighbour.videoId);
    candidate.sources.add('CO_VISITATION');
    raise(candidate, top > 0 ? neighbour.score / top : 0);
  }
}

/**
 * Marks the `neighbours` candidates nearest to the current video by vector (cosine above 0) as
 * its neighbours. Reads the vectors of the current video and of the first `scan` candidates;
 * returns every vector read, for the re-ranking to reuse.
 */
export async function markEmbeddingNeighbours(
  currentVideoId: string,
  candidates: readonly Candidate[],
  context: {
    readonly embedding: (videoId: string) => Promise<ItemVector | undefined>;
    readonly scan?: number;
    readonly neighbours?: number;
  },
): Promise<Map<string, ItemVector>> {
  const scanned = candidates.slice(0, context.scan ?? defaultUpNextScan);
  const [current, ...vectors] = await Promise.all([
    context.embedding(currentVideoId),
    ...scanned.map((c) => context.embedding(c.videoId)),
  ]);
  const read = new Map<string, ItemVector>();
  scanned.forEach((c, i) => {
    const vector = vectors[i];
    if (vector !== undefined) {
      read.set(c.videoId, vector);
    }
  });
  if (current === undefined) {
    return read;
  }
  const near = scanned
    .flatMap((candidate) => {
      const vector = read.get(candidate.videoId);
      if (vector === undefined || vector.modelVersion !== current.modelVersion) {
        return [];
      }
      const cosine = itemSimilarity(
        { videoId: currentVideoId, vector: current },
        { videoId: candidate.videoId, vector },
      );
      return cosine > 0 ? [{ candidate, cosine }] : [];
    })
    .sort((a, b) => b.cosine - a.cosine || byId(a.candidate.videoId, b.candidate.videoId))
    .slice(0, context.neighbours ?? defaultUpNextNeighbours);
  for (const { candidate, cosine } of near) {
    raise(candidate, cosine);
  }
  return read;
}

/** The candidate's `currentVideo` signal: the stronger of its co-visitation and its cosine. */
function raise(candidate: Candidate, value: number): void {
  candidate.sources.add('CURRENT_VIDEO_NEIGHBOURS');
  candidate.raw.currentVideo = Math.max(candidate.raw.currentVideo ?? 0, value);
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Up next: the current video's neighbours ahead of every other candidate, each group in the
 * ranking's order. The ranking scores candidates for the user (a model that does not see the
 * current video, or the blend with its `currentVideo` signal); on this surface what follows the
 * video being watched comes first and the other candidates fill the rest of the list. The
 * neighbours' scores are lifted by twice the spread of all scores, so the lowest neighbour stays
 * a full spread above the best other candidate and MMR, which follows, keeps the two groups
 * apart unless the neighbours are near-duplicates of each other.
 */
export function neighboursFirst<TEntry extends { candidate: Candidate; score: number }>(
  ranked: readonly TEntry[],
): TEntry[] {
  const scores = ranked.map((r) => r.score);
  const lift = 2 * (Math.max(...scores) - Math.min(...scores)) + 1e-6;
  const isNeighbour = (r: TEntry): boolean => r.candidate.sources.has('CURRENT_VIDEO_NEIGHBOURS');
  return [
    ...ranked.filter(isNeighbour).map((r) => ({ ...r, score: r.score + lift })),
    ...ranked.filter((r) => !isNeighbour(r)),
  ];
}
