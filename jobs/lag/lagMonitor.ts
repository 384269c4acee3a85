import type { EvaluatorSettings } from './burrowEvaluator.js';
import { LagError, lagErrorCodes } from './lagErrors.js';
import { buildReport, onlyProblems, recordSnapshot, type LagReport } from './lagReport.js';
import type { LagQuery, LagSource } from './lagSource.js';
import { loadSampleHistory, saveSampleHistory } from './sampleFile.js';
import { SampleHistory } from './sampleHistory.js';

export interface LagMonitorOptions {
  readonly source: LagSource;
  readonly query: LagQuery;
  readonly settings: EvaluatorSettings;
  /** Where the sample history persists; `undefined` keeps it in memory only. */
  readonly stateFile: string | undefined;
  readonly timeoutMs: number;
  readonly brokers: readonly string[];
}

/**
 * One look at the cluster at a time: snapshot, add it to the sample history (and the sample
 * file), report. Every mode of the command is a loop or a single call around {@link look}.
 */
export class LagMonitor {
  readonly brokers: readonly string[];
  private readonly history: SampleHistory;

  constructor(private readonly options: LagMonitorOptions) {
    this.brokers = options.brokers;
    this.history =
      options.stateFile === undefined ? new SampleHistory() : loadSampleHistory(options.stateFile);
  }

  async look(): Promise<LagReport> {
    const snapshot = await withTimeout(
      this.options.source.snapshot(this.options.query),
      this.options.timeoutMs,
      this.brokers,
    );
    recordSnapshot(this.history, snapshot);
    // Samples older than the window still date the last offset change (STOP) and feed
    // interpolation, so twice the window is kept.
    this.history.prune(snapshot.takenAtMs, 2 * this.options.settings.windowMs);
    if (this.options.stateFile !== undefined) {
      saveSampleHistory(this.options.stateFile, this.history);
    }
    return buildReport(snapshot, this.history, this.options.settings);
  }

  problemsOnly(report: LagReport): LagReport {
    return onlyProblems(report);
  }

  async close(): Promise<void> {
    await this.options.source.close();
  }
}

async function withTimeout<TValue>(
  work: Promise<TValue>,
  timeoutMs: number,
  brokers: readonly string[],
): Promise<TValue> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LagError(
            lagErrorCodes.unreachable,
            `no answer from Kafka at ${brokers.join(',')} within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
