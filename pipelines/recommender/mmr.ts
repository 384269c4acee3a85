/**
 * Diversity re-ranking: maximal marginal relevance (Carbonell and Goldstein, "The Use of MMR,
 * Diversity-Based Reranking for Reordering Documents and Producing Summaries", SIGIR 1998)
 * over item embeddings, with the per-creator cap, and the list's intra-list diversity.
 */

/** What re-ranking knows of a candidate. */
export interface DiverseItem {
  readonly videoId: string;
  readonly creatorId?: string | undefined;
  readonly category?: string | undefined;
  /** The item tower's vector, unit length; absent when the embeddings table has none. */
  readonly vector?: ItemVector | undefined;
}

/** A unit-length item vector and the model version that made it (versions never mix). */
export interface ItemVector {
  readonly modelVersion: string;
  readonly unit: Float32Array;
}

/** Default λ: relevance counts 0.7, novelty against the list so far 0.3. */
export const defaultMmrLambda = 0.7;

/** An item vector scaled to unit length (null for a zero vector: no direction to compare). */
export function unitVector(modelVersion: string, vector: readonly number[]): ItemVector | null {
  let norm = 0;
  for (const x of vector) {
    norm += x * x;
  }
  if (!(norm > 0)) {
    return null;
  }
  const scale = 1 / Math.sqrt(norm);
  return { modelVersion, unit: Float32Array.from(vector, (x) => x * scale) };
}

/**
 * How alike two videos are, in [0, 1]: the cosine of their vectors (clipped at 0: opposite
 * directions are as unalike as unrelated ones) when both have one of the same model version;
 * otherwise from their metadata: 0.5 for the same category, plus 0.5 for the same creator.
 * Two videos of one creator are usually of one category, so that pair comes out at 1.
 */
export function itemSimilarity(a: DiverseItem, b: DiverseItem): number {
  if (
    a.vector !== undefined &&
    b.vector !== undefined &&
    a.vector.modelVersion === b.vector.modelVersion &&
    a.vector.unit.length === b.vector.unit.length
  ) {
    const x = a.vector.unit;
    const y = b.vector.unit;
    let dot = 0;
    for (let i = 0; i < x.length; i++) {
      dot += (x[i] ?? 0) * (y[i] ?? 0);
    }
    return Math.min(1, Math.max(0, dot));
  }
  const sameCategory = a.category !== undefined && a.category === b.category ? 0.5 : 0;
  const sameCreator = a.creatorId !== undefined && a.creatorId === b.creatorId ? 0.5 : 0;
  return sameCategory + sameCreator;
}

/**
 * Intra-list diversity: the mean over every pair of the list of 1 − {@link itemSimilarity}
 * (1 − cosine where both have vectors, the category/creator similarity where not); 0 for a list
 * of fewer than two items.
 */
export function intraListDiversity(items: readonly DiverseItem[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i];
      const b = items[j];
      if (a !== undefined && b !== undefined) {
        sum += 1 - itemSimilarity(a, b);
        pairs += 1;
      }
    }
  }
  return pairs === 0 ? 0 : sum / pairs;
}

export interface MmrOptions {
  /** Items to pick. */
  readonly count: number;
  /** Weight of relevance against novelty, in [0, 1]: 1 is relevance order, 0 pure novelty. */
  readonly lambda: number;
  /** At most this many items of one creator (items of unknown creator each count alone). */
  readonly perCreator: number;
  /**
   * Only the best `pool` candidates by relevance are re-ranked (each pick compares every one of
   * them with the item picked); when they run out under the creator cap, the rest follow in
   * relevance order under the cap. Default: all of them.
   */
  readonly pool?: number;
}

/**
 * Greedy MMR: picks, one at a time, the candidate with the highest
 *
 *   mmr(i) = λ·rel(i) − (1 − λ)·top·max over picked j of sim(i, j)
 *
 * where `top` is the highest relevance, so that similarity is on the relevance's scale whatever
 * the ranking's units (a blend near 1, a model's expected watch seconds): at λ = 1 the order and
 * scores are the relevance's, and λ reads the same for every ranking. Ties go to the candidate
 * earlier in `ranked` (best first, ties already broken). A candidate whose creator has
 * `perCreator` picks is skipped. Each item comes back with the mmr value it was picked at as its
 * score: that never rises from one pick to the next (each candidate's value only falls as the
 * list grows, and the best of fewer candidates is no better), so the list stays in score order.
 */
export function mmrRerank<TItem extends DiverseItem>(
  ranked: readonly { readonly item: TItem; readonly relevance: number }[],
  options: MmrOptions,
): { item: TItem; score: number }[] {
  const { lambda, count } = options;
  const pool = ranked.slice(0, options.pool ?? ranked.length);
  const top = Math.max(0, ...pool.map((r) => r.relevance));
  const penalty = (1 - lambda) * (top > 0 ? top : 1);
  const maxSimilarity = new Float64Array(pool.length);
  const picked = new Uint8Array(pool.length);
  const perCreator = new Map<string, number>();
  const capped = (item: DiverseItem): boolean =>
    item.creatorId !== undefined && (perCreator.get(item.creatorId) ?? 0) >= options.perCreator;
  const chosen: { item: TItem; score: number }[] = [];
  while (chosen.length < count) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      const candidate = pool[i];
      if (candidate === undefined || picked[i] === 1 || capped(candidate.item)) {
        continue;
      }
      const value = lambda * candidate.relevance - penalty * (maxSimilarity[i] ?? 0);
      if (value > bestValue) {
        best = i;
        bestValue = value;
      }
    }
    const pick = pool[best];
    if (pick === undefined) {
      break;
    }
    picked[best] = 1;
    chosen.push({ item: pick.item, score: bestValue });
    if (pick.item.creatorId !== undefined) {
      perCreator.set(pick.item.creatorId, (perCreator.get(pick.item.creatorId) ?? 0) + 1);
    }
    if (lambda < 1) {
      for (let i = 0; i < pool.length; i++) {
        const other = pool[i];
        if (other !== undefined && picked[i] === 0) {
          maxSimilarity[i] = Math.max(maxSimilarity[i] ?? 0, itemSimilarity(pick.item, other.item));
        }
      }
    }
  }
  // The pool ran out under the cap: the rest in relevance order, under the cap, scored below
  // the last pick so the list stays in score order.
  let floor = chosen[chosen.length - 1]?.score ?? Infinity;
  for (const { item, relevance } of ranked.slice(pool.length)) {
    if (chosen.length >= count) {
      break;
    }
    if (capped(item)) {
      continue;
    }
    floor = Math.min(floor, lambda * relevance - penalty);
    chosen.push({ item, score: floor });
    if (item.creatorId !== undefined) {
      perCreator.set(item.creatorId, (perCreator.get(item.creatorId) ?? 0) + 1);
    }
  }
  return chosen;
}
