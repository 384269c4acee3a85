/** The longest wait between probes while the guard keeps tripping. */
const maxProbeIntervalMs = 30_000;

/** What the guard lets the next request do. */
export type Admission =
  /** Rank with the model. */
  | 'MODEL'
  /** Serve the simplified ranking. */
  | 'SIMPLIFIED'
  /** Serve the simplified ranking, and run the model beside it as a probe ({@link LatencyGuard.probed}). */
  | 'PROBE';

/** A switch between the model and the simplified ranking, for logs and metrics. */
export interface GuardSwitch {
  readonly to: 'MODEL' | 'SIMPLIFIED';
  /** The recent P99 that tripped the guard, or the slowest of the probes that recovered it. */
  readonly p99Ms: number;
  readonly budgetMs: number;
  /** Rankings the P99 was taken over (the probes' count on recovery). */
  readonly samples: number;
  /** When, by the guard's clock. */
  readonly atMs: number;
}

export interface LatencyGuardOptions {
  /** The ranking stage's budget for its recent P99 (default 100 ms, the seed's). */
  readonly budgetMs?: number;
  /** Rankings older than this leave the rolling window (default 10 s). */
  readonly windowMs?: number;
  /** At most this many rankings in the window, the latest (default 1,000). */
  readonly maxSamples?: number;
  /**
   * No verdict on fewer rankings than this (default 100, two seconds at 50 requests/s): under
   * 100 the nearest-rank P99 is the slowest ranking, and one GC pause is not a trend.
   */
  readonly minSamples?: number;
  /** While simplified, one probe at most this often (default 1 s). */
  readonly probeIntervalMs?: number;
  /**
   * Probes are this many times further apart each time the guard trips again within
   * `windowMs` of recovering, up to 30 s; a trip after a calm window starts over (default 2).
   */
  readonly probeBackoff?: number;
  /** Probes in a row within budget that bring the model back (default 3). */
  readonly recoveryProbes?: number;
  /** The clock, ms (default `performance.now`); tests inject their own. */
  readonly now?: () => number;
  /** Hears every switch (the serving job logs it and counts it in a metric). */
  readonly onSwitch?: (event: GuardSwitch) => void;
}

/**
 * Keeps the ranking stage within its latency budget. Every model ranking's duration goes into
 * a rolling window (the last `windowMs`, at most `maxSamples`); when the window's P99 exceeds
 * `budgetMs`, the guard trips and the next requests get the simplified ranking (the blend of
 * `scoring.ts`, no model: microseconds), so a slow model (a loaded machine, a stalled worker)
 * costs replies their ranking quality, never their deadline.
 *
 * Recovery is automatic, by probing: while tripped, at most one request per `probeIntervalMs`
 * is admitted as `PROBE`: it is still served the simplified ranking, and the model ranks its
 * candidates beside it, the duration reported to {@link probed}. Probing beside the reply
 * rather than with it means no user waits on a model that may still be slow, and one probe a
 * second adds little load to a model already behind. After `recoveryProbes` probes in a row
 * within budget (a failed probe counts as over it) the guard switches back to the model with
 * an empty window: the slow rankings that tripped it describe a past the probes have shown
 * over, and kept they would trip it again at once.
 */
export class LatencyGuard {
  readonly budgetMs: number;
  readonly #windowMs: number;
  readonly #maxSamples: number;
  readonly #minSamples: number;
  readonly #probeIntervalMs: number;
  readonly #probeBackoff: number;
  /** The probe interval now: `probeIntervalMs`, longer while the guard keeps tripping. */
  #interval: number;
  #recoveredAt = Number.NEGATIVE_INFINITY;
  readonly #recoveryProbes: number;
  readonly #now: () => number;
  readonly #onSwitch: ((event: GuardSwitch) => void) | undefined;
  /** Recent model rankings, oldest first: when and how long. */
  #samples: { readonly atMs: number; readonly ms: number }[] = [];
  #mode: 'MODEL' | 'SIMPLIFIED' = 'MODEL';
  #probing = false;
  #lastProbeAt = Number.NEGATIVE_INFINITY;
  /** Durations of the probes within budget since the last one over it. */
  #goodProbes: number[] = [];

  constructor(options: LatencyGuardOptions = {}) {
    this.budgetMs = options.budgetMs ?? 100;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxSamples = options.maxSamples ?? 1_000;
    this.#minSamples = options.minSamples ?? 100;
    this.#probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.#probeBackoff = options.probeBackoff ?? 2;
    this.#interval = this.#probeIntervalMs;
    this.#recoveryProbes = options.recoveryProbes ?? 3;
    this.#now = options.now ?? (() => performance.now());
    this.#onSwitch = options.onSwitch;
  }

  get mode(): 'MODEL' | 'SIMPLIFIED' {
    return this.#mode;
  }

  /** Whether a probe is running (admitted, not yet reported). */
  get probing(): boolean {
    return this.#probing;
  }

  /** What the next request does. A `PROBE` must be answered with {@link probed}. */
  admit(): Admission {
    if (this.#mode === 'MODEL') {
      return 'MODEL';
    }
    const now = this.#now();
    if (this.#probing || now - this.#lastProbeAt < this.#interval) {
      return 'SIMPLIFIED';
    }
    this.#probing = true;
    this.#lastProbeAt = now;
    return 'PROBE';
  }

  /** A model ranking served to a request took `ms` (infinite: it failed). */
  record(ms: number): void {
    const now = this.#now();
    this.#samples.push({ atMs: now, ms });
    this.#evict(now);
    if (this.#mode === 'MODEL' && this.#samples.length >= this.#minSamples) {
      const p99 = this.p99();
      if (p99 > this.budgetMs) {
        // Tripping again soon after recovering: the model is at its limit, not past a spike, so
        // stay on the simplified ranking longer rather than flap (a flap costs the 100 rankings
        // over budget it takes to judge again).
        this.#interval =
          now - this.#recoveredAt <= this.#windowMs
            ? Math.min(this.#interval * this.#probeBackoff, maxProbeIntervalMs)
            : this.#probeIntervalMs;
        this.#switch({ to: 'SIMPLIFIED', p99Ms: p99, samples: this.#samples.length, atMs: now });
        this.#goodProbes = [];
      }
    }
  }

  /** The probe admitted last took `ms` (infinite: it failed). */
  probed(ms: number): void {
    this.#probing = false;
    if (this.#mode !== 'SIMPLIFIED') {
      return;
    }
    if (!(ms <= this.budgetMs)) {
      this.#goodProbes = [];
      return;
    }
    this.#goodProbes.push(ms);
    if (this.#goodProbes.length >= this.#recoveryProbes) {
      const slowest = Math.max(...this.#goodProbes);
      const samples = this.#goodProbes.length;
      this.#samples = [];
      this.#goodProbes = [];
      this.#recoveredAt = this.#now();
      this.#switch({ to: 'MODEL', p99Ms: slowest, samples, atMs: this.#recoveredAt });
    }
  }

  /** The P99 of the window's rankings (nearest rank); 0 when it is empty. */
  p99(): number {
    this.#evict(this.#now());
    if (this.#samples.length === 0) {
      return 0;
    }
    const sorted = this.#samples.map((s) => s.ms).sort((a, b) => a - b);
    return sorted[Math.ceil(0.99 * sorted.length) - 1] ?? 0;
  }

  #evict(now: number): void {
    let drop = Math.max(0, this.#samples.length - this.#maxSamples);
    while (
      drop < this.#samples.length &&
      now - (this.#samples[drop]?.atMs ?? now) > this.#windowMs
    ) {
      drop += 1;
    }
    if (drop > 0) {
      this.#samples = this.#samples.slice(drop);
    }
  }

  #switch(event: Omit<GuardSwitch, 'budgetMs'>): void {
    this.#mode = event.to;
    this.#onSwitch?.({ ...event, budgetMs: this.budgetMs });
  }
}
