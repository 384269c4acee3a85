/**
 * Whether a consumer group kept up with its input over a load run, from frequent looks at its
 * lag: the question "does lag stay bounded?" asked of a finite run.
 *
 * A job that keeps up has lag whose trend is flat; one that cannot has lag rising by exactly
 * its shortfall (records arriving minus records processed). A run of minutes cannot tell a
 * shortfall of zero from a very small one, so the verdict names a tolerance: **bounded** when,
 * at 95% confidence, lag rises by less than `toleranceShare` of the arrival rate (by default
 * 1%: at most 36 s of input further behind per hour); **growing** when it rises by more, also
 * at 95% confidence; otherwise **undecided**.
 *
 * Lag under exactly-once is a sawtooth: it climbs for a commit interval and drops at each
 * commit, so any one look lands anywhere between the two. The looks are therefore averaged in
 * bins of up to a minute, and the slope and its interval are fitted to the bin means (whose
 * errors are close to independent, unlike the looks'), with Student's t for the few bins a run
 * has. The arrival rate is the slope of the group's log-end offsets, looked at the same times.
 */

/** One look at a group while the load ran. */
export interface LagPoint {
  /** Seconds since the load started. */
  readonly seconds: number;
  /** Records behind, summed over the group's partitions (the lag CLI's total). */
  readonly lag: number;
  /** The group's partitions' log-end offsets, summed: rises at the rate records arrive. */
  readonly logEnd: number;
}

export type LagVerdictKind = 'bounded' | 'GROWING' | 'undecided' | 'too short to judge';

export interface LagVerdict {
  readonly verdict: LagVerdictKind;
  readonly looks: number;
  readonly bins: number;
  readonly binSeconds: number;
  /** Records arriving a minute on the group's partitions. */
  readonly arrivalPerMinute: number;
  /** Least-squares slope of the bin means, records a minute, with its 95% interval. */
  readonly slopePerMinute: number;
  readonly slopeLow: number;
  readonly slopeHigh: number;
  readonly meanLag: number;
  readonly maxLag: number;
  readonly toleranceShare: number;
}

export interface LagVerdictOptions {
  /** Largest rise of lag, as a share of the arrival rate, that still counts as keeping up. */
  readonly toleranceShare?: number;
  /** Longest bin; runs under six of them get six shorter bins. */
  readonly maxBinSeconds?: number;
}

const minimumBins = 4;
/**
 * Shorter runs are not judged: lag starts at zero and climbs to its sawtooth for the first
 * seconds, a ramp that a minute-long run's slope cannot tell from growth.
 */
const minimumSpanSeconds = 300;

export function judgeLag(points: readonly LagPoint[], options: LagVerdictOptions = {}): LagVerdict {
  const toleranceShare = options.toleranceShare ?? 0.01;
  const sorted = [...points].sort((a, b) => a.seconds - b.seconds);
  const first = sorted[0]?.seconds ?? 0;
  const span = (sorted[sorted.length - 1]?.seconds ?? 0) - first;
  const binSeconds = Math.max(1, Math.min(options.maxBinSeconds ?? 60, span / 6));
  const bins = binMeans(sorted, first, binSeconds);
  const lagFit = leastSquares(bins);
  const arrival = leastSquares(sorted.map((p) => ({ x: p.seconds, y: p.logEnd })));
  const arrivalPerMinute = (arrival?.slope ?? 0) * 60;
  const base = {
    looks: sorted.length,
    bins: bins.length,
    binSeconds,
    arrivalPerMinute,
    meanLag: sorted.reduce((sum, p) => sum + p.lag, 0) / Math.max(1, sorted.length),
    maxLag: Math.max(0, ...sorted.map((p) => p.lag)),
    toleranceShare,
  };
  if (
    lagFit === undefined ||
    bins.length < minimumBins ||
    span < minimumSpanSeconds ||
    arrivalPerMinute <= 0
  ) {
    return {
      ...base,
      verdict: 'too short to judge',
      slopePerMinute: (lagFit?.slope ?? 0) * 60,
      slopeLow: Number.NaN,
      slopeHigh: Number.NaN,
    };
  }
  const halfWidth = studentT975(bins.length - 2) * lagFit.slopeStandardError * 60;
  const slopePerMinute = lagFit.slope * 60;
  const slopeLow = slopePerMinute - halfWidth;
  const slopeHigh = slopePerMinute + halfWidth;
  const tolerance = toleranceShare * arrivalPerMinute;
  const verdict: LagVerdictKind =
    slopeHigh < tolerance ? 'bounded' : slopeLow > tolerance ? 'GROWING' : 'undecided';
  return { ...base, verdict, slopePerMinute, slopeLow, slopeHigh };
}

/** The verdict as one line of the demo's summary. */
export function describeLagVerdict(group: string, v: LagVerdict): string {
  const signed = (n: number): string => `${n >= 0 ? '+' : ''}${Math.round(n).toLocaleString('en')}`;
  const perSecond = v.arrivalPerMinute / 60;
  const ofInput = (lag: number): string =>
    perSecond > 0 ? ` (${(lag / perSecond).toFixed(1)} s of input)` : '';
  const head = `  lag ${group.padEnd(20)} ${v.verdict}`;
  const levels =
    `mean ${Math.round(v.meanLag).toLocaleString('en')}${ofInput(v.meanLag)}, ` +
    `highest ${v.maxLag.toLocaleString('en')}${ofInput(v.maxLag)} records; ` +
    `${v.looks} looks in ${v.bins} bins of ${v.binSeconds.toFixed(0)} s`;
  if (Number.isNaN(v.slopeLow)) {
    return `${head} (a verdict needs ${minimumSpanSeconds / 60} minutes of traffic): ${levels}`;
  }
  return (
    `${head}: trend ${signed(v.slopePerMinute)} records/min ` +
    `[95%: ${signed(v.slopeLow)}, ${signed(v.slopeHigh)}] against ` +
    `${Math.round(v.arrivalPerMinute).toLocaleString('en')} arriving a minute ` +
    `(tolerance ${(v.toleranceShare * 100).toFixed(0)}%: ` +
    `${Math.round(v.toleranceShare * v.arrivalPerMinute).toLocaleString('en')}); ${levels}`
  );
}

interface XY {
  readonly x: number;
  readonly y: number;
}

/** Mean lag of the looks in each bin of `width` seconds from `start`; empty bins are left out. */
function binMeans(points: readonly LagPoint[], start: number, width: number): XY[] {
  const span = (points[points.length - 1]?.seconds ?? start) - start;
  // The last look of a run falls on the far edge of the last bin; it belongs in that bin.
  const lastBin = Math.max(0, Math.round(span / width) - 1);
  const sums = new Map<number, { seconds: number; lag: number; n: number }>();
  for (const p of points) {
    const bin = Math.min(lastBin, Math.floor((p.seconds - start) / width));
    const sum = sums.get(bin) ?? { seconds: 0, lag: 0, n: 0 };
    sum.seconds += p.seconds;
    sum.lag += p.lag;
    sum.n += 1;
    sums.set(bin, sum);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, s]) => ({ x: s.seconds / s.n, y: s.lag / s.n }));
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

/** Student's t, 97.5th percentile, for `df` degrees of freedom (1.96 beyond the table). */
export function studentT975(df: number): number {
  const table = [
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
  if (df < 1) {
    return Number.POSITIVE_INFINITY;
  }
  return table[df] ?? (df <= 60 ? 2.0 : 1.96);
}
