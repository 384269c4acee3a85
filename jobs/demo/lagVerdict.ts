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

import { binMeans, leastSquares, slopeWithInterval } from './trend.js';

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
  const bins = binMeans(
    sorted.map((p) => ({ x: p.seconds, y: p.lag })),
    first,
    binSeconds,
  );
  const lagTrend = slopeWithInterval(bins, { perX: 60 });
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
    lagTrend === undefined ||
    bins.length < minimumBins ||
    span < minimumSpanSeconds ||
    arrivalPerMinute <= 0
  ) {
    return {
      ...base,
      verdict: 'too short to judge',
      slopePerMinute: lagTrend?.slope ?? 0,
      slopeLow: Number.NaN,
      slopeHigh: Number.NaN,
    };
  }
  const { slope: slopePerMinute, low: slopeLow, high: slopeHigh } = lagTrend;
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
