import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What {@link runMeasured} saw of a child process. */
export interface MeasuredProcess {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From spawn to exit, in seconds. */
  readonly wallSeconds: number;
  /** Highest VmHWM seen in /proc/<pid>/status, in KiB (undefined off Linux). */
  readonly peakRssKb: number | undefined;
  /** user + system CPU of the process, last seen in /proc/<pid>/stat, in seconds. */
  readonly cpuSeconds: number | undefined;
  /** The JSON after the last `BENCH_RESULT ` line on stdout, parsed; undefined when none. */
  readonly result: unknown;
  readonly stdoutTail: string;
  readonly stderrTail: string;
}

export interface MeasuredProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** SIGKILL after this many seconds. */
  readonly timeoutSeconds?: number;
  /** Poll interval of /proc, in ms (default 100). */
  readonly pollMs?: number;
  /** Echo the child's stderr lines (default true). */
  readonly echoStderr?: boolean;
}

/** Marks the one line of stdout a bench process reports its figures on. */
export const resultMarker = 'BENCH_RESULT ';

const tailChars = 8_000;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every common Linux build. */
const clockTicksPerSecond = 100;

/**
 * Runs a command to completion while polling its peak resident set size (VmHWM) and CPU time
 * from /proc, and picks up the `BENCH_RESULT {json}` line it prints. Usable for any engine that
 * runs as its own process (the Kafka Streams JVM; the reelstream side if it runs as a child).
 */
export function runMeasured(
  command: string,
  args: readonly string[],
  options: MeasuredProcessOptions = {},
): Promise<MeasuredProcess> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let result: unknown = undefined;
  let peakRssKb: number | undefined;
  let cpuSeconds: number | undefined;
  let pending = '';

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout = (stdout + chunk).slice(-tailChars);
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(resultMarker)) {
        result = JSON.parse(line.slice(resultMarker.length)) as unknown;
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-tailChars);
    if (options.echoStderr !== false) {
      process.stderr.write(chunk);
    }
  });

  const poll = (): void => {
    const pid = child.pid;
    if (pid === undefined) {
      return;
    }
    const rss = readVmHwmKb(pid);
    if (rss !== undefined) {
      peakRssKb = Math.max(peakRssKb ?? 0, rss);
    }
    const cpu = readCpuSeconds(pid);
    if (cpu !== undefined) {
      cpuSeconds = cpu;
    }
  };
  const poller = setInterval(poll, options.pollMs ?? 100);
  const killer =
    options.timeoutSeconds === undefined
      ? undefined
      : setTimeout(() => child.kill('SIGKILL'), options.timeoutSeconds * 1000);

  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearInterval(poller);
      clearTimeout(killer);
      reject(error);
    });
    child.on('exit', (exitCode, signal) => {
      clearInterval(poller);
      clearTimeout(killer);
      if (pending.startsWith(resultMarker)) {
        result = JSON.parse(pending.slice(resultMarker.length)) as unknown;
      }
      resolve({
        exitCode,
        signal,
        wallSeconds: (performance.now() - started) / 1000,
        peakRssKb,
        cpuSeconds,
        result,
        stdoutTail: stdout,
        stderrTail: stderr,
      });
    });
  });
}

/** VmHWM (peak RSS) of a process in KiB, or undefined when it is gone or this is not Linux. */
export function readVmHwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds, or undefined when it is gone or this is not Linux. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime + stime) ? (utime + stime) / clockTicksPerSecond : undefined;
  } catch {
    return undefined;
  }
}

/** The figures every bench process puts in its `BENCH_RESULT` line (each adds its own). */
export interface BenchReport {
  /** Input records processed. */
  readonly records: number;
  /** First input record to the last one, in seconds. */
  readonly firstToLastS: number;
  /** CPU seconds of the whole process over the same window. */
  readonly cpuSecondsFirstToLast: number;
}

/**
 * The `BENCH_RESULT` of a process that must have exited 0 with one, as the report type its
 * side expects (checked for the {@link BenchReport} figures); throws with the tails of its
 * output otherwise. `what` names the process in the error, e.g. `quix: the process`.
 */
export function benchReportOf<TReport extends BenchReport>(
  run: MeasuredProcess,
  what: string,
): TReport {
  const report = run.result;
  const figures: readonly (keyof BenchReport)[] = [
    'records',
    'firstToLastS',
    'cpuSecondsFirstToLast',
  ];
  if (
    run.exitCode === 0 &&
    typeof report === 'object' &&
    report !== null &&
    figures.every((name) => typeof (report as Partial<BenchReport>)[name] === 'number')
  ) {
    return report as TReport;
  }
  throw new Error(
    `${what} exited with ${run.exitCode ?? run.signal ?? '?'} and no result\n` +
      `${run.stdoutTail.slice(-1_500)}\n${run.stderrTail.slice(-1_500)}`,
  );
}

/** Seconds to the millisecond, for reports. */
export function roundSeconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}
