/**
 * The knobs of the traffic model, with their defaults. docs/generator.md explains each; every
 * one can be overridden through `TrafficOptions.model`.
 */
export interface ModelParameters {
  /** Uploads per hour at `scale` 1 (the seed: 100k new videos per hour). */
  readonly uploadsPerHourAtFullScale: number;
  /** Zipf exponent of the initial popularity ranks. */
  readonly zipfExponent: number;
  /** How often popularity drifts and viral boosts decay (event time). */
  readonly driftIntervalMs: number;
  /** Share of the catalogue whose popularity takes a random step at each drift. */
  readonly driftFraction: number;
  /** Standard deviation of one drift step of a video's log-popularity. */
  readonly driftSigma: number;
  /** Pull of a drifted log-popularity back to its initial value, per step (0..1). */
  readonly driftReversion: number;
  /** Mean number of videos that go viral per hour. */
  readonly viralsPerHour: number;
  /** Share of all exposure a viral video takes at its peak. */
  readonly viralPeakShare: number;
  /** Half-life of a viral boost. */
  readonly viralHalfLifeMs: number;
  /** Relative amplitude of the diurnal cycle (0: flat; 0.5: peak 1.5×, trough 0.5× the mean). */
  readonly diurnalAmplitude: number;
  /** UTC hour of the daily traffic peak. */
  readonly diurnalPeakHourUtc: number;
  /** Videos per recommendation list (impressions per request). */
  readonly listSize: number;
  /** Examination probability at zero-based position p is (p + 1)^-positionBiasExponent. */
  readonly positionBiasExponent: number;
  /** Shares of list slots filled from global popularity, the user's interests, fresh uploads. */
  readonly candidateMix: {
    readonly popular: number;
    readonly interest: number;
    readonly fresh: number;
  };
  /** Player heartbeat period. */
  readonly heartbeatIntervalMs: number;
  /** Probability that a playback's watch end is never sent (app killed). */
  readonly lostWatchEndProbability: number;
  /** Model version written into impressions. */
  readonly modelVersion: string;
}

export const defaultModelParameters: ModelParameters = {
  uploadsPerHourAtFullScale: 100_000,
  zipfExponent: 1,
  driftIntervalMs: 60_000,
  driftFraction: 0.02,
  driftSigma: 0.4,
  driftReversion: 0.05,
  viralsPerHour: 2,
  viralPeakShare: 0.03,
  viralHalfLifeMs: 30 * 60_000,
  diurnalAmplitude: 0.5,
  diurnalPeakHourUtc: 20,
  listSize: 10,
  positionBiasExponent: 0.8,
  candidateMix: { popular: 0.45, interest: 0.4, fresh: 0.15 },
  heartbeatIntervalMs: 10_000,
  lostWatchEndProbability: 0.02,
  modelVersion: 'generator-v1',
};

/**
 * Traffic at `time` relative to the daily mean: 1 + amplitude · cos(2π (hour − peak) / 24),
 * which averages to 1 over a day. The generator divides by the factor of its start time, so
 * its `rate` holds at the start.
 */
export function diurnalFactor(time: number, parameters: ModelParameters): number {
  const hour = (time % 86_400_000) / 3_600_000;
  return (
    1 +
    parameters.diurnalAmplitude *
      Math.cos((2 * Math.PI * (hour - parameters.diurnalPeakHourUtc)) / 24)
  );
}
