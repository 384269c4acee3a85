import { sumOfRows, type Interactions, type ItemScorer } from './itemScores.js';
import { symmetricInverse } from './symmetricInverse.js';

/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): an item-item
 * weight matrix B with a zero diagonal, the closed-form minimiser of ‖X − X·B‖² + λ‖B‖²:
 *
 *     P = (XᵀX + λI)⁻¹,   B[i][j] = −P[i][j] / P[j][j] (i ≠ j),   B[j][j] = 0
 *
 * where X is the binary user × item matrix of the training part (any star value is an
 * interaction). A user with history H scores item j as Σ_{i ∈ H} B[i][j]. The inverse is
 * computed in plain Float64Array (symmetricInverse.ts): a few seconds for MovieLens-100K's
 * 1,682 items. λ is chosen on the validation window (baselines.ts).
 *
 * @example
 * ```ts
 * const scorer = ease(interactionsOf(split.train, catalogue), { lambda: 400 });
 * ```
 */
export function ease(interactions: Interactions, options: { lambda: number }): ItemScorer {
  const weights = easeWeights(interactions, options);
  const n = interactions.catalogue.ids.length;
  return (history) => sumOfRows(weights, history, n);
}

/** B, row-major n × n (see {@link ease}). */
export function easeWeights(interactions: Interactions, options: { lambda: number }): Float64Array {
  const { lambda } = options;
  if (!(lambda > 0)) {
    throw new RangeError(`EASE needs λ > 0, not ${lambda}`);
  }
  const n = interactions.catalogue.ids.length;
  const regularised = Float64Array.from(interactions.gram);
  for (let i = 0; i < n; i++) {
    regularised[i * n + i] = (regularised[i * n + i] ?? 0) + lambda;
  }
  const p = symmetricInverse(regularised, n);
  const diagonal = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    diagonal[j] = p[j * n + j] ?? 1;
  }
  const weights = p; // overwritten in place
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      weights[row + j] = i === j ? 0 : -(p[row + j] ?? 0) / (diagonal[j] ?? 1);
    }
  }
  return weights;
}
