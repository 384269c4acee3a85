/**
 * The drift rule of the calibration monitor: when do a window's predicted CTR and its actual CTR
 * differ by more than noise, and by enough to matter?
 *
 * Each impression with prediction p is, if the model is calibrated, a Bernoulli(p) click. The
 * window's clicks C then have mean E = Σp and variance V = Σp(1 − p) (independent Bernoullis of
 * their own probabilities: no assumption that the window's predictions are alike), and
 * z = (C − E) / √V is close to a standard normal for the thousands of impressions a window
 * holds. A window is `drifting` only when all three hold:
 * 1. at least `minImpressions` impressions (default 500): below that neither the normal
 *    approximation nor a CTR of a few percent says much, and a quiet minute must not page;
 * 2. |z| ≥ `zThreshold` (default 4: a calibrated model crosses it in about 6 windows in
 *    100,000, once in about 11 days of one-minute windows, where 3 (2.7 in 1,000) would cross
 *    it about 4 times a day; rule 3 makes it rarer still);
 * 3. |actual − predicted| / predicted ≥ `minRelativeGap` (default 0.15): with enough traffic
 *    even a gap nobody would act on is significant; this keeps the alert to gaps that change
 *    the ranking's trade-off between clicks and watch time.
 * Windows of one feed are not independent (the same users), so the z threshold is kept high
 * rather than tuned to a nominal rate.
 */

/** The sums of one window's labelled predictions. */
export interface WindowSums {
  readonly impressions: number;
  readonly clicks: number;
  /** Σ p. */
  readonly predictedClicks: number;
  /** Σ p(1 − p). */
  readonly variance: number;
}

export interface DriftRule {
  readonly minImpressions: number;
  readonly zThreshold: number;
  readonly minRelativeGap: number;
}

export const defaultDriftRule: DriftRule = {
  minImpressions: 500,
  zThreshold: 4,
  minRelativeGap: 0.15,
};

export interface DriftReading {
  readonly predictedCtr: number;
  readonly actualCtr: number;
  readonly zScore: number;
  readonly relativeGap: number;
  readonly drifting: boolean;
  /** 'drifting', 'calibrated', or why no judgement is made. */
  readonly verdict: string;
}

/** The rule applied to one window (see the file comment). */
export function readDrift(sums: WindowSums, rule: DriftRule = defaultDriftRule): DriftReading {
  const n = sums.impressions;
  const predictedCtr = n > 0 ? sums.predictedClicks / n : 0;
  const actualCtr = n > 0 ? sums.clicks / n : 0;
  const zScore =
    sums.variance > 0 ? (sums.clicks - sums.predictedClicks) / Math.sqrt(sums.variance) : 0;
  const relativeGap = predictedCtr > 0 ? (actualCtr - predictedCtr) / predictedCtr : 0;
  const base = { predictedCtr, actualCtr, zScore, relativeGap };
  if (n < rule.minImpressions) {
    return {
      ...base,
      drifting: false,
      verdict: `too few impressions (${n} < ${rule.minImpressions})`,
    };
  }
  const significant = Math.abs(zScore) >= rule.zThreshold;
  const large = Math.abs(relativeGap) >= rule.minRelativeGap;
  if (significant && large) {
    return { ...base, drifting: true, verdict: 'drifting' };
  }
  return {
    ...base,
    drifting: false,
    verdict: significant ? 'calibrated (significant but small gap)' : 'calibrated',
  };
}
