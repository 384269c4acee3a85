import { SampleColumn } from './sampleColumn.js';

/** Send times kept and shown per failure reason. */
const failuresShown = 5;

/**
 * Records each request's latency and outcome: the demo's request P50/P99. The load that sends
 * them is open-loop (requestLoadMain.ts), so a slow reply does not slow the rate down and
 * hide itself.
 */
export class LatencyRecorder {
  private readonly latencies = new SampleColumn();
  /** Replies by what they were: `personalised`, `degraded (<reason>)`. */
  private readonly outcomes = new Map<string, number>();
  /** Requests without a reply, by why (an error's message): how many, when the first were sent. */
  private readonly failures = new Map<string, { count: number; sentAt: number[] }>();
  private failed = 0;

  /** A reply, `ms` after its request was sent. */
  record(ms: number, outcome: string): void {
    this.latencies.push(ms);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** A request that failed or timed out, why, and when it was sent (seconds into the load). */
  fail(reason: string, sentAtSeconds: number): void {
    this.failed += 1;
    let failure = this.failures.get(reason);
    if (failure === undefined) {
      failure = { count: 0, sentAt: [] };
      this.failures.set(reason, failure);
    }
    failure.count += 1;
    // The first few only: an outage fails thousands, and the summary shows five.
    if (failure.sentAt.length < failuresShown) {
      failure.sentAt.push(sentAtSeconds);
    }
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
    // Each distinct reason once, with its count and when: on-call reads why and when, not only
    // how many (a burst at the start is a warm-up; one spread over the run is not).
    const failures = [...this.failures]
      .sort(([, a], [, b]) => b.count - a.count)
      .map(
        ([reason, { count, sentAt }]) =>
          `\n    ${count} × ${reason} (sent at ` +
          `${sentAt.map((s) => `${s.toFixed(1)} s`).join(', ')}${count > sentAt.length ? ', …' : ''})`,
      )
      .join('');
    return (
      `requests answered        ${sorted.length}: P50 ${at(0.5)} ms, P99 ${at(0.99)} ms; ` +
      `failed or timed out ${this.failed}${failures}\n` +
      `  replies                  ${outcomes || 'none'}`
    );
  }
}
