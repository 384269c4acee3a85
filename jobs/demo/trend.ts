/**
 * The straight-line trend of a series looked at over a run, with its 95% interval: the shared
 * arithmetic of the demo's verdicts (whether lag stays bounded, whether a process's memory
 * levels off).
 */

export interface XY {
  readonly x: number;
  readonly y: number;
}

/**
 * The mean point of the points in each bin of `width` (in x) from `start`, points sorted by x;
 * empty bins are left out. Means of bins are much closer to independent than successive looks
 * at a series that drifts.
 */
export function binMeans(points: readonly XY[], start: number, width: number): XY[] {
  const span = (points[points.length - 1]?.x ?? start) - start;
  // The last look of a run falls on the far edge of the last bin; it belongs in that bin.
  const lastBin = Math.max(0, Math.round(span / width) - 1);
  const sums = new Map<number, { x: number; y: number; n: number }>();
  for (const p of points) {
    const bin = Math.min(lastBin, Math.floor((p.x - start) / width));
    const sum = sums.get(bin) ?? { x: 0, y: 0, n: 0 };
    sum.x += p.x;
    sum.y += p.y;
    sum.n += 1;
    sums.set(bin, sum);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, s]) => ({ x: s.x / s.n, y: s.y / s.n }));
}

/** Ordinary least squares of y on x, with the slope's standard error (undefined below 2 points). */
export function leastSquares(
  points: readonly XY[],
): { slope: number; intercept: number; slopeStandardError: number } | undefined {
  const n = points.length;
  if (n < 2) {
    return undefined;
  }
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  if (sxx === 0) {
    return undefined;
  }
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const residuals = points.reduce((sum, p) => sum + (p.y - intercept - slope * p.x) ** 2, 0);
  const slopeStandardError =
    n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.POSITIVE_INFINITY;
  return { slope, intercept, slopeStandardError };
}

/** A least-squares slope with its 95% Student-t interval. */
export interface Trend {
  readonly points: number;
  readonly slope: number;
  readonly low: number;
  readonly high: number;
  /**
   * Lag-1 autocorrelation of the residuals (0 when not corrected for): successive looks at a
   * slowly varying series are not independent, and the interval is widened for it.
   */
  readonly autocorrelation: number;
}

/**
 * The least-squares slope of `points` with its 95% interval, `perX` times (60 for a slope per
 * minute from seconds). With `correctAutocorrelation`, the residuals are taken as AR(1): the
 * slope's standard error grows by √((1 + r) / (1 − r)), r the residuals' lag-1
 * autocorrelation (if positive), so that a series that wanders rather than scatters (memory,
 * which drifts between collections) does not get a falsely narrow interval. Student's t keeps
 * n − 2 degrees of freedom: shrinking them too (to the effective sample size) widened the
 * interval by half again on a dozen points for a point or two of coverage. Undefined below 3
 * points.
 */
export function slopeWithInterval(
  points: readonly XY[],
  options: { perX?: number; correctAutocorrelation?: boolean } = {},
): Trend | undefined {
  const fit = leastSquares(points);
  if (fit === undefined || points.length < 3) {
    return undefined;
  }
  const perX = options.perX ?? 1;
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const r =
    options.correctAutocorrelation === true
      ? Math.max(0, residualAutocorrelation(sorted, fit.slope, fit.intercept))
      : 0;
  const inflation = Math.sqrt((1 + r) / (1 - r));
  const halfWidth = studentT975(points.length - 2) * fit.slopeStandardError * inflation * perX;
  const slope = fit.slope * perX;
  return {
    points: points.length,
    slope,
    low: slope - halfWidth,
    high: slope + halfWidth,
    autocorrelation: r,
  };
}

/** Lag-1 autocorrelation of the residuals of points sorted by x around the line given. */
function residualAutocorrelation(sorted: readonly XY[], slope: number, intercept: number): number {
  const n = sorted.length;
  const e = sorted.map((p) => p.y - intercept - slope * p.x);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < e.length; i++) {
    denominator += (e[i] ?? 0) ** 2;
    if (i > 0) {
      numerator += (e[i] ?? 0) * (e[i - 1] ?? 0);
    }
  }
  // A perfectly straight series has nothing to correlate; r near 1 would make the interval
  // infinite, so it is held just short of it.
  if (denominator === 0) {
    return 0;
  }
  // The estimate from a short series of residuals is biased low by about (1 + 3r) / n
  // (Kendall); corrected for it, the interval keeps its 95% when looks are strongly correlated.
  const r = numerator / denominator;
  return Math.min(0.95, r + (1 + 3 * r) / n);
}

/** Student's t, 97.5th percentile, for `df` degrees of freedom. */
export function studentT975(df: number): number {
  if (df < 1) {
    return Number.POSITIVE_INFINITY;
  }
  const exact = t975Table[Math.floor(df)];
  if (exact !== undefined) {
    return exact;
  }
  // Beyond the table, the Cornish–Fisher expansion around the normal quantile: within 0.001
  // of the true value from 31 degrees of freedom on, 1.96 in the limit.
  const z = 1.959964;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return Math.round((z + g1 / df + g2 / df ** 2 + g3 / df ** 3) * 1000) / 1000;
}

const t975Table = [
  Number.POSITIVE_INFINITY,
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];
