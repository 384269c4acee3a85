import { SampleColumn } from './sampleColumn.js';

/**
 * Records each request's latency and outcome: the demo's request P50/P99. The load that sends
 * them is open-loop (requestLoadWorker.ts), so a slow reply does not slow the rate down and
 * hide itself.
 */
export class LatencyRecorder {
  private readonly latencies = new SampleColumn();
  /** Replies by what they were: `personalised`, `degraded (<reason>)`. */
  private readonly outcomes = new Map<string, number>();
  /** Requests without a reply, by why (an error's message): when the first few were sent. */
  private readonly failures = new Map<string, number[]>();
  private failed = 0;

  /** A reply, `ms` after its request was sent. */
  record(ms: number, outcome: string): void {
    this.latencies.push(ms);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** A request that failed or timed out, why, and when it was sent (seconds into the load). */
  fail(reason: string, sentAtSeconds: number): void {
    this.failed += 1;
    const sentAt = this.failures.get(reason) ?? [];
    sentAt.push(sentAtSeconds);
    this.failures.set(reason, sentAt);
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
    const shown = 5;
    const failures = [...this.failures]
      .sort(([, a], [, b]) => b.length - a.length)
      .map(
        ([reason, sentAt]) =>
          `\n    ${sentAt.length} × ${reason} (sent at ` +
          `${sentAt
            .slice(0, shown)
            .map((s) => `${s.toFixed(1)} s`)
            .join(', ')}${sentAt.length > shown ? ', …' : ''})`,
      )
      .join('');
    return (
      `requests answered        ${sorted.length}: P50 ${at(0.5)} ms, P99 ${at(0.99)} ms; ` +
      `failed or timed out ${this.failed}${failures}\n` +
      `  replies                  ${outcomes || 'none'}`
    );
  }
}
