import type { ConnectionConfig } from '../../operators/index.js';
import { defaultEvaluatorSettings } from '../lag/burrowEvaluator.js';
import { KafkaLagSource } from '../lag/kafkaLagSource.js';
import { LagMonitor } from '../lag/lagMonitor.js';
import { describeLagVerdict, judgeLag, type LagPoint } from './lagVerdict.js';

/**
 * Looks at the demo's consumer groups every few seconds while the load runs, with the lag
 * CLI's own reader (`reelstream lag`'s {@link LagMonitor}, in this process: a child process
 * every 5 s would cost more CPU than the look), and judges at the end whether each group kept
 * up ({@link judgeLag}). The per-interval lines of the demo still come from the CLI itself.
 */
export class LagTracker {
  private readonly monitor: LagMonitor;
  private readonly points = new Map<string, LagPoint[]>();
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> = Promise.resolve();
  private failedLooks = 0;
  private stopping: Promise<void> | undefined;

  constructor(
    connection: ConnectionConfig,
    private readonly options: { readonly groups: RegExp; readonly intervalMs: number },
  ) {
    this.monitor = new LagMonitor({
      source: new KafkaLagSource(connection),
      query: { groupPattern: options.groups },
      settings: defaultEvaluatorSettings,
      stateFile: undefined,
      timeoutMs: options.intervalMs,
      brokers: connection.brokers,
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      // One look at a time: a slow broker delays the next look instead of piling them up.
      this.looking = this.looking.then(() => this.look());
    }, this.options.intervalMs);
  }

  /** Stops looking; the verdict covers the looks taken until now. A second call does nothing. */
  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      await this.looking;
      await this.monitor.close();
    })();
    await this.stopping;
  }

  /** One summary line per group: the verdict, the trend against the arrival rate, the levels. */
  summary(): string[] {
    const lines = [...this.points].map(([group, points]) =>
      describeLagVerdict(group, judgeLag(points)),
    );
    if (this.failedLooks > 0) {
      lines.push(`  lag looks that failed     ${this.failedLooks} (left out of the verdicts)`);
    }
    return lines;
  }

  private async look(): Promise<void> {
    const seconds = (performance.now() - this.started) / 1_000;
    try {
      const report = await this.monitor.look();
      for (const group of report.groups) {
        const points = this.points.get(group.group) ?? [];
        points.push({
          seconds,
          lag: group.totalLag,
          logEnd: group.partitions.reduce((sum, p) => sum + (p.logEndOffset ?? 0), 0),
        });
        this.points.set(group.group, points);
      }
    } catch {
      this.failedLooks += 1;
    }
  }
}
