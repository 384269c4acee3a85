import { SampleColumn } from './sampleColumn.js';

/**
 * Sends requests at a steady rate and records each one's latency and outcome: the demo's
 * request P50/P99. Requests are not awaited one by one (an open-loop load, as real users send),
 * so a slow reply does not slow the rate down and hide itself.
 */
export class LatencyRecorder {
  private readonly latencies = new SampleColumn();
  /** Replies by what they were: `personalised`, `degraded (<reason>)`. */
  private readonly outcomes = new Map<string, number>();
  private failed = 0;

  /** Sends `request` `ratePerSecond` times a second until `until` settles. */
  async drive(options: {
    ratePerSecond: number;
    until: Promise<unknown>;
    request: () => Promise<string>;
  }): Promise<void> {
    let done = false;
    void options.until.finally(() => {
      done = true;
    });
    const inFlight = new Set<Promise<void>>();
    const intervalMs = 1_000 / options.ratePerSecond;
    while (!done) {
      const started = performance.now();
      const sent: Promise<void> = options
        .request()
        .then(
          (outcome) => {
            this.latencies.push(performance.now() - started);
            this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
          },
          () => {
            this.failed += 1;
          },
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await Promise.all(inFlight);
  }

  /** `requests N: P50 x ms, P99 y ms; failed f`, then the replies by outcome. */
  describe(): string {
    const sorted = this.latencies.sorted();
    const at = (q: number): string =>
      sorted.length === 0
        ? '-'
        : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
    const outcomes = [...this.outcomes]
      .sort(([, a], [, b]) => b - a)
      .map(([outcome, count]) => `${count} ${outcome}`)
      .join(', ');
    return (
      `requests answered        ${sorted.length}: P50 ${at(0.5)} ms, P99 ${at(0.99)} ms; ` +
      `failed or timed out ${this.failed}\n  replies                  ${outcomes || 'none'}`
    );
  }
}
