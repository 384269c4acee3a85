import type { Interactions, ItemScorer } from './itemScores.js';

/**
 * Item-based k-nearest neighbours with cosine similarity on the binary training matrix:
 *
 *     sim(i, j) = |users who rated i and j| / √(|users of i| · |users of j|)   (i ≠ j)
 *
 * Each item keeps its `neighbours` most similar items (ties by the tie-break order of
 * itemScores.ts, so the kept set is the same on every run), and a user with history H scores
 * item j as Σ_{i ∈ H} sim(i, j) over the items i that keep j. The number of neighbours is
 * chosen on the validation window (baselines.ts); `neighbours` ≥ the catalogue keeps all.
 *
 * @example
 * ```ts
 * const scorer = itemKnn(interactionsOf(split.train, catalogue), { neighbours: 100 });
 * ```
 */
export function itemKnn(interactions: Interactions, options: { neighbours: number }): ItemScorer {
  return itemKnnFamily(interactions)(options.neighbours);
}

/**
 * The similarities computed and sorted once, then a scorer for any number of neighbours (what
 * tuning over several values needs).
 */
export function itemKnnFamily(interactions: Interactions): (neighbours: number) => ItemScorer {
  const { counts, gram, tieRank } = interactions;
  const n = interactions.catalogue.ids.length;
  const rows: { items: Int32Array; similarities: Float64Array }[] = [];
  for (let i = 0; i < n; i++) {
    const ci = counts[i] ?? 0;
    const entries: { j: number; similarity: number }[] = [];
    for (let j = 0; j < n; j++) {
      const both = gram[i * n + j] ?? 0;
      if (j !== i && both > 0) {
        entries.push({ j, similarity: both / Math.sqrt(ci * (counts[j] ?? 0)) });
      }
    }
    entries.sort(
      (a, b) =>
        b.similarity - a.similarity || (tieRank[a.j] ?? 0) - (tieRank[b.j] ?? 0) || a.j - b.j,
    );
    rows.push({
      items: Int32Array.from(entries, (e) => e.j),
      similarities: Float64Array.from(entries, (e) => e.similarity),
    });
  }
  return (neighbours) => {
    if (!(neighbours >= 1)) {
      throw new RangeError(`ItemKNN needs at least 1 neighbour, not ${neighbours}`);
    }
    return (history) => {
      const scores = new Float64Array(n);
      for (const i of history) {
        const row = rows[i];
        if (row === undefined) {
          continue;
        }
        const kept = Math.min(neighbours, row.items.length);
        for (let r = 0; r < kept; r++) {
          const j = row.items[r] ?? 0;
          scores[j] = (scores[j] ?? 0) + (row.similarities[r] ?? 0);
        }
      }
      return scores;
    };
  };
}
