import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

import { rocksDbNativeMemory } from '../../operators/index.js';

import { jobLag, lagSampleFile, type GroupLag } from './jobLag.js';
import {
  describeMemoryTrend,
  describeStateFilling,
  judgeMemory,
  type MemoryLook,
} from './memoryTrend.js';

/** A process whose CPU and memory the demo reports. */
export interface MeasuredProcess {
  readonly name: string;
  /**
   * How long its state grows by design from a cold start: its longest event-time window that
   * fills bucket by bucket (a job's windows of the last hour hold one more bucket a video each
   * minute for their first hour). A memory trend with a shorter warm-up counts that filling.
   */
  readonly stateFillsForSeconds?: number;
  /** CPU time used so far (user + system, µs) and RSS; undefined once it has ended. */
  usage(): Promise<
    | {
        readonly cpuMicros: number;
        readonly rssBytes: number;
        /** Its JavaScript heap in use: what of RSS the garbage collector manages. */
        readonly heapUsedBytes: number;
        /** The heap V8 holds (used and free), and Buffers' bytes outside it, when known. */
        readonly heapCommittedBytes?: number;
        readonly externalBytes?: number;
        /** 99th percentile of its event loop's delay since the last call, when it measures it. */
        readonly eventLoopP99Ms?: number;
        /** Its stores' write caches and their budget, when it runs a stream job. */
        readonly cacheBytes?: number;
        readonly cacheMaxBytes?: number;
        /** RocksDB's native memory, when it runs a stream job (rocksDbNativeMemory). */
        readonly rocksDbBytes?: number;
      }
    | undefined
  >;
}

/** This process, measured like any other. */
export function thisProcess(name: string): MeasuredProcess {
  return {
    name,
    usage: () => {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const rocksDb = rocksDbNativeMemory();
      return Promise.resolve({
        cpuMicros: cpu.user + cpu.system,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapCommittedBytes: memory.heapTotal,
        externalBytes: memory.external,
        rocksDbBytes: rocksDb.tableReadersBytes + rocksDb.memtablesBytes + rocksDb.blockCacheBytes,
      });
    },
  };
}

/**
 * A child process measured from /proc/<pid>/stat: CPU time and RSS (its heap is not known: 0);
 * no usage once it has ended.
 */
export function procfsProcess(name: string, pid: number | undefined): MeasuredProcess {
  return { name, usage: () => Promise.resolve(procUsage(pid)) };
}

function procUsage(
  pid: number | undefined,
): { cpuMicros: number; rssBytes: number; heapUsedBytes: number } | undefined {
  if (pid === undefined) {
    return undefined;
  }
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command's closing parenthesis: utime is the 14th, stime the 15th and
    // rss (pages) the 24th of the whole line; ticks are 100 a second on Linux.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const pages = Number(fields[21]);
    return { cpuMicros: ticks * 10_000, rssBytes: pages * 4096, heapUsedBytes: 0 };
  } catch {
    return undefined;
  }
}

/** One process's share of a sample: CPU over the interval (100% is one core) and RSS. */
interface ProcessSample {
  readonly name: string;
  readonly cpuPercent: number;
  readonly rssMb: number;
  readonly heapMb: number;
  readonly eventLoopP99Ms: number | undefined;
  /** Its write caches' share of their budget (0–1), when it has one. */
  readonly cacheFill: number | undefined;
  /** RocksDB's native memory, when it reports it. */
  readonly rocksDbMb: number | undefined;
  /** V8's heap as taken from the system, and Buffers' bytes, when it reports them. */
  readonly heapCommittedMb: number | undefined;
  readonly externalMb: number | undefined;
}

/** One sample of the demo's processes and of the jobs' consumer lag. */
interface Sample {
  readonly seconds: number;
  readonly processes: readonly ProcessSample[];
  readonly stateMb: number;
  readonly lag: readonly GroupLag[];
}

/**
 * Samples, every `intervalMs` while the demo runs: CPU and RSS of each of the demo's processes
 * (the feature job and the generator run in their own; serving and the client in the demo's), the
 * jobs' state on disk, and each job's consumer lag from `reelstream lag`. Each sample is
 * printed; the summary gives peak and mean figures. Whether lag stayed bounded is judged from
 * far more frequent looks ({@link LagTracker}).
 */
export class ResourceSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly started = performance.now();
  private lastAt = performance.now();
  private readonly lastCpuMicros = new Map<string, number>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      stateDir: string;
      groups: string;
      processes: readonly MeasuredProcess[];
      intervalMs: number;
      /** Seconds of samples the memory trend leaves out; default in `judgeMemory`. */
      warmUpSeconds?: number;
      log: (line: string) => void;
    },
  ) {}

  /** Takes the first CPU readings now, then samples every interval. */
  start(): void {
    this.pending = this.readProcesses(1).then(() => undefined);
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.sample());
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pending;
  }

  /** Each live process's CPU since the last reading (over `elapsedMs`) and RSS. */
  private async readProcesses(elapsedMs: number): Promise<ProcessSample[]> {
    const samples: ProcessSample[] = [];
    for (const measured of this.options.processes) {
      const usage = await measured.usage().catch(() => undefined);
      if (usage === undefined) {
        continue;
      }
      const last = this.lastCpuMicros.get(measured.name) ?? usage.cpuMicros;
      this.lastCpuMicros.set(measured.name, usage.cpuMicros);
      samples.push({
        name: measured.name,
        cpuPercent: ((usage.cpuMicros - last) / 1000 / elapsedMs) * 100,
        rssMb: usage.rssBytes / 2 ** 20,
        heapMb: usage.heapUsedBytes / 2 ** 20,
        eventLoopP99Ms: usage.eventLoopP99Ms,
        cacheFill:
          usage.cacheBytes === undefined || usage.cacheMaxBytes === undefined
            ? undefined
            : usage.cacheBytes / Math.max(1, usage.cacheMaxBytes),
        rocksDbMb: usage.rocksDbBytes === undefined ? undefined : usage.rocksDbBytes / 2 ** 20,
        heapCommittedMb:
          usage.heapCommittedBytes === undefined ? undefined : usage.heapCommittedBytes / 2 ** 20,
        externalMb: usage.externalBytes === undefined ? undefined : usage.externalBytes / 2 ** 20,
      });
    }
    return samples;
  }

  private async sample(): Promise<void> {
    const now = performance.now();
    const processes = await this.readProcesses(now - this.lastAt);
    this.lastAt = now;
    const lag = await jobLag(this.options.groups, lagSampleFile(this.options.stateDir)).catch(
      () => [],
    );
    const sample: Sample = {
      seconds: (now - this.started) / 1000,
      processes,
      stateMb: directoryBytes(this.options.stateDir) / 2 ** 20,
      lag,
    };
    this.samples.push(sample);
    const usage = processes
      .map(
        (p) =>
          `${p.name} CPU ${p.cpuPercent.toFixed(0)}% RSS ${p.rssMb.toFixed(0)} MB (heap ${p.heapMb.toFixed(0)}` +
          (p.rocksDbMb === undefined ? ')' : `, RocksDB ${p.rocksDbMb.toFixed(0)})`) +
          (p.eventLoopP99Ms === undefined
            ? ''
            : ` loop delay p99 ${p.eventLoopP99Ms.toFixed(0)} ms`) +
          (p.cacheFill === undefined ? '' : ` cache ${(p.cacheFill * 100).toFixed(0)}% full`),
      )
      .join(', ');
    this.options.log(
      `load: ${sample.seconds.toFixed(0)} s: ${usage}; state ${sample.stateMb.toFixed(1)} MB; lag ` +
        (lag
          .map(
            (g) =>
              `${g.group} ${g.totalLag} (${g.maxTimeLagSeconds.toFixed(1)} s, ${g.status} ${g.reason})`,
          )
          .join(', ') || 'unknown'),
    );
  }

  /**
   * Peak and mean figures of each process, its memory trend after the warm-up, and the state
   * on disk at the end.
   */
  summary(): string[] {
    if (this.samples.length === 0) {
      return [
        this.options.intervalMs > 0
          ? '  load: no samples (run longer than one sampling interval)'
          : '  load: not sampled (--sample <seconds> prints CPU, RSS and state size as it runs)',
      ];
    }
    const lines: string[] = [];
    for (const { name } of this.options.processes) {
      const of = this.samples.flatMap((s) => s.processes.filter((p) => p.name === name));
      const cpu = of.reduce((sum, p) => sum + p.cpuPercent, 0) / Math.max(1, of.length);
      const rss = Math.max(0, ...of.map((p) => p.rssMb));
      lines.push(
        `  process ${name.padEnd(16)} CPU ${cpu.toFixed(0)}% mean of one core, peak RSS ${rss.toFixed(0)} MB`,
      );
    }
    for (const { name, stateFillsForSeconds } of this.options.processes) {
      const looks: MemoryLook[] = this.samples.flatMap((s) =>
        s.processes
          .filter((p) => p.name === name)
          .map((p) => ({
            seconds: s.seconds,
            rssMb: p.rssMb,
            heapMb: p.heapMb,
            ...(p.rocksDbMb === undefined ? {} : { rocksDbMb: p.rocksDbMb }),
            ...(p.heapCommittedMb === undefined ? {} : { heapCommittedMb: p.heapCommittedMb }),
            ...(p.externalMb === undefined ? {} : { externalMb: p.externalMb }),
          })),
      );
      const { warmUpSeconds } = this.options;
      const verdict = judgeMemory(looks, warmUpSeconds === undefined ? {} : { warmUpSeconds });
      lines.push(...describeMemoryTrend(name, verdict));
      lines.push(...describeStateFilling(name, verdict, stateFillsForSeconds));
      // A bounded cache filling looks like a leak until it is full: say when it was.
      const full = this.samples.find((s) =>
        s.processes.some((p) => p.name === name && (p.cacheFill ?? 0) >= 0.98),
      );
      const fills = this.samples
        .flatMap((s) => s.processes.filter((p) => p.name === name).map((p) => p.cacheFill))
        .filter((f) => f !== undefined);
      if (fills.length > 0) {
        lines.push(
          full === undefined
            ? `  cache ${name.padEnd(18)} write caches ${((fills[fills.length - 1] ?? 0) * 100).toFixed(0)}% of their budget at the end`
            : `  cache ${name.padEnd(18)} write caches reached their budget at ${(full.seconds / 60).toFixed(1)} min`,
        );
      }
    }
    const state = this.samples[this.samples.length - 1]?.stateMb ?? 0;
    lines.push(`  state on disk            ${state.toFixed(1)} MB (both jobs)`);
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
