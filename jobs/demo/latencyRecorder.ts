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
  private failed = 0;

  /** A reply, `ms` after its request was sent. */
  record(ms: number, outcome: string): void {
    this.latencies.push(ms);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** A request that failed or timed out. */
  fail(): void {
    this.failed += 1;
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
