/**
 * The least-squares slope of consumer lag over a run, in records per minute: beside the
 * demo's verdict (which compares the highest sample of each half, and so turns on a single
 * sample), how fast lag rises or falls across all of them. Undefined with fewer than two
 * samples or all taken at one time.
 */
export function lagTrendPerMinute(
  samples: readonly { readonly seconds: number; readonly lag: number }[],
): number | undefined {
  if (samples.length < 2) {
    return undefined;
  }
  const meanTime = samples.reduce((sum, s) => sum + s.seconds, 0) / samples.length;
  const meanLag = samples.reduce((sum, s) => sum + s.lag, 0) / samples.length;
  let covariance = 0;
  let variance = 0;
  for (const { seconds, lag } of samples) {
    covariance += (seconds - meanTime) * (lag - meanLag);
    variance += (seconds - meanTime) ** 2;
  }
  return variance === 0 ? undefined : (covariance / variance) * 60;
}
