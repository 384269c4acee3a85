/**
 * A model output's calibration as the trainer ships it in `manifest.json` (`calibration`, per
 * output name), fitted on a validation window:
 * - `platt`: p' = sigmoid(a · logit(p) + b);
 * - `isotonic`: piecewise-linear through the points (thresholds[i], values[i]), thresholds
 *   ascending; flat outside them (the first value below, the last above).
 */
export type OutputCalibration =
  | { readonly method: 'platt'; readonly a: number; readonly b: number }
  | {
      readonly method: 'isotonic';
      readonly thresholds: readonly number[];
      readonly values: readonly number[];
    };

/** Keeps logit finite: a probability of exactly 0 or 1 from the model still calibrates. */
const epsilon = 1e-7;

/** The calibration as a function; throws, naming the output, on a malformed entry. */
export function calibrationOf(output: string, spec: OutputCalibration): (value: number) => number {
  switch (spec.method) {
    case 'platt': {
      const { a, b } = spec;
      if (!Number.isFinite(a) || !Number.isFinite(b)) {
        throw new Error(`calibration of ${output}: platt needs finite a and b`);
      }
      return (p) => {
        const clamped = Math.min(1 - epsilon, Math.max(epsilon, p));
        const logit = Math.log(clamped / (1 - clamped));
        return 1 / (1 + Math.exp(-(a * logit + b)));
      };
    }
    case 'isotonic': {
      const { thresholds: xs, values: ys } = spec;
      const ascending = xs.every((x, i) => i === 0 || x >= (xs[i - 1] ?? x));
      if (xs.length === 0 || xs.length !== ys.length || !ascending) {
        throw new Error(
          `calibration of ${output}: isotonic needs as many values as thresholds (${xs.length}, ${ys.length}), at least one, thresholds ascending`,
        );
      }
      return (x) => interpolate(xs, ys, x);
    }
    default:
      throw new Error(
        `calibration of ${output}: unknown method ${String((spec as { method: unknown }).method)}`,
      );
  }
}

/** Piecewise-linear through (xs[i], ys[i]); binary search for the segment. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  const last = xs.length - 1;
  if (x <= (xs[0] ?? x)) {
    return ys[0] ?? x;
  }
  if (x >= (xs[last] ?? x)) {
    return ys[last] ?? x;
  }
  let low = 0;
  let high = last;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if ((xs[mid] ?? x) <= x) {
      low = mid;
    } else {
      high = mid;
    }
  }
  const x0 = xs[low] ?? x;
  const x1 = xs[high] ?? x;
  const y0 = ys[low] ?? x;
  const y1 = ys[high] ?? x;
  return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}
