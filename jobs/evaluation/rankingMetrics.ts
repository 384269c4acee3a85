/**
 * Ranking metrics for full-catalogue evaluation with binary relevance. Every function takes a
 * ranked list (best first) that has already had the user's seen items removed
 * ({@link maskSeen}); `relevant` is the set of the user's test items.
 */

/**
 * The ranked list without the items in `seen` and without repeats (the first occurrence
 * counts), in the same order: seen items are masked, not penalised, and a list that repeats an
 * item cannot score it twice.
 */
export function maskSeen<TItem>(ranked: readonly TItem[], seen: ReadonlySet<TItem>): TItem[] {
  const kept = new Set<TItem>();
  for (const item of ranked) {
    if (!seen.has(item)) {
      kept.add(item);
    }
  }
  return [...kept];
}

/**
 * Items ranked by score, best first; equal scores by ascending item id (so ties break the same
 * way on every run). Items in `exclude` are left out. Returns at most `k` items, fewer when
 * fewer are left.
 */
export function rankByScore(
  scores: ReadonlyMap<number, number>,
  options: { k: number; exclude?: ReadonlySet<number> },
): number[] {
  const exclude = options.exclude ?? new Set<number>();
  return [...scores.entries()]
    .filter(([item]) => !exclude.has(item))
    .sort(([a, sa], [b, sb]) => sb - sa || a - b)
    .slice(0, options.k)
    .map(([item]) => item);
}

/**
 * Recall@K = |top-K ∩ relevant| / |relevant|, where top-K is the first `k` items of `ranked`
 * (all of them when it has fewer). The denominator is the number of relevant items, not
 * min(K, |relevant|), so a user with more than K test items cannot reach 1. Throws for an
 * empty `relevant` (such users are excluded, not scored 0).
 */
export function recallAtK<TItem>(
  ranked: readonly TItem[],
  relevant: ReadonlySet<TItem>,
  k: number,
): number {
  requireRelevant(relevant);
  return hitsAtK(ranked, relevant, k) / relevant.size;
}

/**
 * NDCG@K with binary relevance:
 *
 *     DCG@K  = Σ_{r=1..min(K, |ranked|)} rel(r) / log2(r + 1),  rel(r) = 1 if the item at rank r
 *                                                               is relevant, else 0
 *     IDCG@K = Σ_{r=1..min(K, |relevant|)} 1 / log2(r + 1)      (all relevant items on top)
 *     NDCG@K = DCG@K / IDCG@K                                   (in [0, 1])
 *
 * Ranks are 1-based, so the top item counts 1, the second 1/log2(3) ≈ 0.631. Throws for an
 * empty `relevant`.
 */
export function ndcgAtK<TItem>(
  ranked: readonly TItem[],
  relevant: ReadonlySet<TItem>,
  k: number,
): number {
  requireRelevant(relevant);
  let dcg = 0;
  for (const [index, item] of ranked.slice(0, k).entries()) {
    if (relevant.has(item)) {
      dcg += 1 / Math.log2(index + 2); // rank = index + 1
    }
  }
  let idcg = 0;
  for (let rank = 1; rank <= Math.min(k, relevant.size); rank++) {
    idcg += 1 / Math.log2(rank + 1);
  }
  return dcg / idcg;
}

/** How many of the first `k` items are relevant. */
export function hitsAtK<TItem>(
  ranked: readonly TItem[],
  relevant: ReadonlySet<TItem>,
  k: number,
): number {
  let hits = 0;
  for (const item of ranked.slice(0, k)) {
    if (relevant.has(item)) {
      hits++;
    }
  }
  return hits;
}

function requireRelevant(relevant: ReadonlySet<unknown>): void {
  if (relevant.size === 0) {
    throw new RangeError('a user with no relevant items has no recall or NDCG; exclude them');
  }
}
