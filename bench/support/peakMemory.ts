/**
 * What a Node engine's memory is made of when its RSS is highest: the harness sees only VmHWM
 * from /proc, which says how much, not what. Sampled from inside the engine's process
 * (`process.memoryUsage()`, a few microseconds a look) and reported with its figures.
 */

/** Memory at the look with the highest RSS, in MiB. */
export interface PeakMemory {
  readonly rssMib: number;
  /** V8's heap as taken from the system (used and free). */
  readonly heapTotalMib: number;
  readonly heapUsedMib: number;
  /** Buffers' and ArrayBuffers' bytes outside the heap. */
  readonly externalMib: number;
  /** Everything else: native addons (RocksDB), malloc, code, thread stacks. */
  readonly restMib: number;
}

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Looks at the process's memory every `intervalMs` until stopped; keeps the look at peak RSS. */
export class PeakMemorySampler {
  private peak: NodeJS.MemoryUsage | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 250) {
    this.look();
    this.timer = setInterval(() => this.look(), intervalMs);
    this.timer.unref();
  }

  /** Stops looking; the memory at the highest RSS seen. */
  stop(): PeakMemory {
    clearInterval(this.timer);
    this.look();
    const peak = this.peak ?? process.memoryUsage();
    return {
      rssMib: mib(peak.rss),
      heapTotalMib: mib(peak.heapTotal),
      heapUsedMib: mib(peak.heapUsed),
      externalMib: mib(peak.external),
      restMib: mib(peak.rss - peak.heapTotal - peak.external),
    };
  }

  private look(): void {
    const now = process.memoryUsage();
    if (this.peak === undefined || now.rss > this.peak.rss) {
      this.peak = now;
    }
  }
}

/** `heap 312.0 (used 250.1), external 40.2, rest 180.3 MiB of RSS 532.5`. */
export function formatPeakMemory(m: PeakMemory): string {
  return (
    `heap ${m.heapTotalMib.toFixed(1)} (used ${m.heapUsedMib.toFixed(1)}), ` +
    `external ${m.externalMib.toFixed(1)}, rest ${m.restMib.toFixed(1)} MiB of RSS ${m.rssMib.toFixed(1)}`
  );
}
