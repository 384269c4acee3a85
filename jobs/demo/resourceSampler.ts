import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

import { jobLag, lagSampleFile, type GroupLag } from './jobLag.js';

/** One sample of the demo process (the jobs run in it) and of the jobs' consumer lag. */
interface Sample {
  readonly seconds: number;
  readonly cpuPercent: number;
  readonly rssMb: number;
  readonly stateMb: number;
  readonly lag: readonly GroupLag[];
}

/**
 * Samples, every `intervalMs` while the demo runs: CPU of this process (the feature and serving
 * jobs, the generator and the client all run in it; 100% is one core), its RSS, the jobs' state
 * on disk, and each job's consumer lag from `reelstream lag`. Each sample is printed; the summary
 * says whether lag stayed bounded: its highest value in the second half of the run is no higher
 * than in the first.
 */
export class ResourceSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      stateDir: string;
      groups: string;
      intervalMs: number;
      log: (line: string) => void;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.sample());
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pending;
  }

  private async sample(): Promise<void> {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (now - this.lastAt)) * 100;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const lag = await jobLag(this.options.groups, lagSampleFile(this.options.stateDir)).catch(
      () => [],
    );
    const sample: Sample = {
      seconds: (now - this.started) / 1000,
      cpuPercent,
      rssMb: process.memoryUsage().rss / 2 ** 20,
      stateMb: directoryBytes(this.options.stateDir) / 2 ** 20,
      lag,
    };
    this.samples.push(sample);
    this.options.log(
      `load: ${sample.seconds.toFixed(0)} s: CPU ${cpuPercent.toFixed(0)}%, RSS ${sample.rssMb.toFixed(0)} MB, ` +
        `state ${sample.stateMb.toFixed(1)} MB; lag ` +
        (lag
          .map(
            (g) =>
              `${g.group} ${g.totalLag} (${g.maxTimeLagSeconds.toFixed(1)} s, ${g.status} ${g.reason})`,
          )
          .join(', ') || 'unknown'),
    );
  }

  /** Peak and mean figures, and whether each group's lag stayed bounded. */
  summary(): string[] {
    if (this.samples.length === 0) {
      return ['  load: no samples (run longer than one sampling interval)'];
    }
    const cpu = this.samples.reduce((sum, s) => sum + s.cpuPercent, 0) / this.samples.length;
    const rss = Math.max(...this.samples.map((s) => s.rssMb));
    const state = this.samples[this.samples.length - 1]?.stateMb ?? 0;
    const lines = [
      `  process (all jobs)       CPU ${cpu.toFixed(0)}% mean of one core, peak RSS ${rss.toFixed(0)} MB, state on disk ${state.toFixed(1)} MB`,
    ];
    const half = Math.floor(this.samples.length / 2);
    const groups = new Set(this.samples.flatMap((s) => s.lag.map((g) => g.group)));
    for (const group of groups) {
      const lagOf = (s: Sample): number => s.lag.find((g) => g.group === group)?.totalLag ?? 0;
      const first = Math.max(0, ...this.samples.slice(0, half).map(lagOf));
      const second = Math.max(0, ...this.samples.slice(half).map(lagOf));
      const bounded = half === 0 || second <= Math.max(first, 1_000);
      lines.push(
        `  lag ${group.padEnd(20)} highest ${Math.max(first, second)} records; first half ${first}, second half ${second}: ${bounded ? 'bounded' : 'GROWING'}`,
      );
    }
    return lines;
  }
}

/** Bytes of the files under `dir` (0 when it does not exist). */
function directoryBytes(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    try {
      total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
    } catch {
      // a file RocksDB removed between the listing and the stat (compaction)
    }
  }
  return total;
}
