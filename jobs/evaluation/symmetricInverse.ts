/**
 * The inverse of a symmetric positive-definite matrix, in plain Float64Array (no native BLAS):
 * what EASE needs for its 1,682 × 1,682 Gram matrix (ease.ts).
 *
 * Three passes, each about n³/6 multiply-adds and each reading rows contiguously (row-major,
 * index `i × n + j`):
 *
 * 1. Cholesky, A = L·Lᵀ with L lower triangular: for each row i and column j ≤ i,
 *    `L[i][j] = (A[i][j] − Σ_{k<j} L[i][k]·L[j][k]) / L[j][j]`, and on the diagonal
 *    `L[i][i] = √(A[i][i] − Σ_{k<i} L[i][k]²)`;
 * 2. M = L⁻¹, lower triangular too, row by row: `M[i] = (eᵢ − Σ_{k<i} L[i][k]·M[k]) / L[i][i]`;
 * 3. A⁻¹ = Mᵀ·M: `A⁻¹[i][j] = Σ_{k ≥ max(i,j)} M[k][i]·M[k][j]`, accumulated row k by row k
 *    into the lower triangle, then mirrored.
 *
 * About n³/2 multiply-adds in all: 2.4·10⁹ for n = 1,682, a few seconds in V8. Deterministic:
 * the same input gives the same bits (every sum is taken in a fixed order).
 *
 * Throws when a pivot is not positive (the matrix is not positive definite, within rounding).
 *
 * @example
 * ```ts
 * symmetricInverse(new Float64Array([4, 2, 2, 3]), 2); // ≈ [0.375, -0.25, -0.25, 0.5]
 * ```
 */
export function symmetricInverse(matrix: Float64Array, n: number): Float64Array {
  if (matrix.length !== n * n) {
    throw new RangeError(`a ${n} × ${n} matrix has ${n * n} entries, not ${matrix.length}`);
  }
  const l = cholesky(matrix, n);
  const m = lowerTriangularInverse(l, n);
  return gramOfRows(m, n);
}

/** L with A = L·Lᵀ, row-major, zeros above the diagonal. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      let sum = a[rowI + j] ?? 0;
      for (let k = 0; k < j; k++) {
        sum -= (l[rowI + k] ?? 0) * (l[rowJ + k] ?? 0);
      }
      if (j === i) {
        if (!(sum > 0)) {
          throw new RangeError(`not positive definite: pivot ${i} is ${sum}`);
        }
        l[rowI + i] = Math.sqrt(sum);
      } else {
        l[rowI + j] = sum / (l[rowJ + j] ?? 1);
      }
    }
  }
  return l;
}

/** M = L⁻¹ for a lower-triangular L with a positive diagonal; row-major, lower triangular. */
function lowerTriangularInverse(l: Float64Array, n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    // Row i of M, before dividing by L[i][i]: eᵢ − Σ_{k<i} L[i][k]·M[k] (M[k] is zero past k).
    m[rowI + i] = 1;
    for (let k = 0; k < i; k++) {
      const factor = l[rowI + k] ?? 0;
      if (factor === 0) {
        continue;
      }
      const rowK = k * n;
      for (let j = 0; j <= k; j++) {
        m[rowI + j] = (m[rowI + j] ?? 0) - factor * (m[rowK + j] ?? 0);
      }
    }
    const pivot = l[rowI + i] ?? 1;
    for (let j = 0; j <= i; j++) {
      m[rowI + j] = (m[rowI + j] ?? 0) / pivot;
    }
  }
  return m;
}

/** Mᵀ·M for a lower-triangular M, as a full symmetric matrix. */
function gramOfRows(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rowK = k * n;
    // Row k of M is nonzero in columns 0..k: add M[k][i]·M[k][j] for j ≤ i ≤ k.
    for (let i = 0; i <= k; i++) {
      const factor = m[rowK + i] ?? 0;
      if (factor === 0) {
        continue;
      }
      const rowI = i * n;
      for (let j = 0; j <= i; j++) {
        out[rowI + j] = (out[rowI + j] ?? 0) + factor * (m[rowK + j] ?? 0);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      out[j * n + i] = out[i * n + j] ?? 0;
    }
  }
  return out;
}
