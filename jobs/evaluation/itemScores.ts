import type { MovieLensRating } from '../replay/movieLensTypes.js';
import type { Recommender } from './recommender.js';

/**
 * What the in-process baselines share: the catalogue as dense indices, the training part as
 * per-user histories and an item-item co-occurrence (Gram) matrix, and one ranking rule.
 *
 * The ranking rule, the same for every baseline: the user's seen (training) items are removed
 * **before** ranking, the rest are ranked by score, best first, and equal scores are broken by
 * training popularity (more ratings first), then by ascending movie id. So a user with no
 * history, whose personalised scores are all 0, gets the most-popular list, and two runs rank
 * ties the same way.
 */
export interface Catalogue {
  /** Movie ids, ascending; index i of every vector and matrix is `ids[i]`. */
  readonly ids: readonly number[];
  readonly indexOf: ReadonlyMap<number, number>;
}

/** The catalogue of the given movie ids (any order, repeats ignored), ascending. */
export function catalogueOf(movieIds: Iterable<number>): Catalogue {
  const ids = [...new Set(movieIds)].sort((a, b) => a - b);
  return { ids, indexOf: new Map(ids.map((id, index) => [id, index])) };
}

/** The training part seen as a binary user × item matrix (any star value is an interaction). */
export interface Interactions {
  readonly catalogue: Catalogue;
  /** Number of users who rated each item. */
  readonly counts: Float64Array;
  /** XᵀX, row-major n × n: users who rated both items (the diagonal is `counts`). */
  readonly gram: Float64Array;
  /** Rank of each item in the tie-break order (0 first): more ratings first, then by id. */
  readonly tieRank: Int32Array;
}

/**
 * The interactions of `train` over `catalogue`. A user who rated a movie twice counts once;
 * ratings of movies outside the catalogue are ignored. Users are visited in ascending id
 * order and their items in ascending index order, so every sum is taken in the same order.
 */
export function interactionsOf(
  train: readonly MovieLensRating[],
  catalogue: Catalogue,
): Interactions {
  const n = catalogue.ids.length;
  const histories = new Map<number, Set<number>>();
  for (const rating of train) {
    const index = catalogue.indexOf.get(rating.movieId);
    if (index === undefined) {
      continue;
    }
    let history = histories.get(rating.userId);
    if (history === undefined) {
      history = new Set();
      histories.set(rating.userId, history);
    }
    history.add(index);
  }
  const counts = new Float64Array(n);
  const gram = new Float64Array(n * n);
  for (const userId of [...histories.keys()].sort((a, b) => a - b)) {
    const items = [...(histories.get(userId) ?? [])].sort((a, b) => a - b);
    for (const i of items) {
      counts[i] = (counts[i] ?? 0) + 1;
      const row = i * n;
      for (const j of items) {
        gram[row + j] = (gram[row + j] ?? 0) + 1;
      }
    }
  }
  const order = catalogue.ids
    .map((_, index) => index)
    .sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  const tieRank = new Int32Array(n);
  order.forEach((index, rank) => {
    tieRank[index] = rank;
  });
  return { catalogue, counts, gram, tieRank };
}

/** A baseline after fitting: scores of every catalogue item for one user's history. */
export interface ItemScorer {
  /** `history`: the user's training items as catalogue indices, ascending. */
  (history: readonly number[]): Float64Array;
}

/**
 * The `count` best items for a user, as movie ids: items in `seen` are left out first, then
 * the rest are ranked by `scores` (descending; NaN counts as −∞), ties by `tieRank`.
 */
export function rankUnseen(
  scores: Float64Array,
  context: { catalogue: Catalogue; tieRank: Int32Array; seen: ReadonlySet<number>; count: number },
): number[] {
  const { catalogue, tieRank, seen } = context;
  const candidates: number[] = [];
  catalogue.ids.forEach((movieId, index) => {
    if (!seen.has(movieId)) {
      candidates.push(index);
    }
  });
  const score = (index: number): number => {
    const value = scores[index] ?? NaN;
    return Number.isNaN(value) ? -Infinity : value;
  };
  candidates.sort((a, b) => score(b) - score(a) || (tieRank[a] ?? 0) - (tieRank[b] ?? 0) || a - b);
  return candidates.slice(0, context.count).map((index) => catalogue.ids[index] ?? -1);
}

/**
 * A {@link Recommender} from a scorer: the request's seen movies are the user's history (what
 * the baseline scores from) and are filtered out before ranking ({@link rankUnseen}).
 */
export function recommenderOf(
  scorer: ItemScorer,
  interactions: Pick<Interactions, 'catalogue' | 'tieRank'>,
): Recommender {
  const { catalogue, tieRank } = interactions;
  return (request) => {
    const history = [...request.seen]
      .map((movieId) => catalogue.indexOf.get(movieId))
      .filter((index): index is number => index !== undefined)
      .sort((a, b) => a - b);
    return rankUnseen(scorer(history), {
      catalogue,
      tieRank,
      seen: request.seen,
      count: request.count,
    });
  };
}

/** Sums the given rows of a row-major n × n matrix: Σ_{i ∈ rows} M[i][·]. */
export function sumOfRows(matrix: Float64Array, rows: readonly number[], n: number): Float64Array {
  const out = new Float64Array(n);
  for (const i of rows) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      out[j] = (out[j] ?? 0) + (matrix[row + j] ?? 0);
    }
  }
  return out;
}
