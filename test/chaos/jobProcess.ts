import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** One `CHAOS_RESTORE {json}` line of the job: a store restored from its changelog. */
export interface RestoreEvent {
  readonly task: string;
  readonly store: string;
  readonly records: number;
  readonly bytes: number;
  readonly ms: number;
  /** When the restore ended (epoch ms); absent in the lines of jobs that do not print it. */
  readonly at?: number;
}

/** How a job process ended. */
export interface JobExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface JobProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Every line the job prints goes here (appended), prefixed with the run number. */
  readonly logFile: string;
  readonly run: number;
  readonly onRestore: (event: RestoreEvent) => void;
  /** Every line of its standard output, as it comes (the harness counts `job recovering`). */
  readonly onLine?: (line: string) => void;
}

const restoreMarker = 'CHAOS_RESTORE ';
const tailLines = 40;

/** Jobs still running, killed when the harness exits however it exits (a detached group would not get its Ctrl-C). */
const live = new Set<JobProcess>();
let exitHookInstalled = false;

function killLiveJobsOnExit(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const job of live) {
      job.signal('SIGKILL');
    }
  });
}

/**
 * The chaos job as a child process in a process group of its own, so SIGKILL reaches everything
 * it may have started (a wrapper, a worker) at once, the way a machine dying would.
 */
export class JobProcess {
  readonly exited: Promise<JobExit>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exit: JobExit | undefined;

  constructor(options: JobProcessOptions) {
    this.child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void => {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const complete = pending.split('\n');
        pending = complete.pop() ?? '';
        complete.forEach(onLine);
      });
      stream?.on('end', () => pending !== '' && onLine(pending));
    };
    const keep = (line: string): void => {
      appendFileSync(options.logFile, `[run ${options.run}] ${line}\n`);
      this.tail.push(line);
      if (this.tail.length > tailLines) {
        this.tail.shift();
      }
    };
    lines(this.child.stdout, (line) => {
      keep(line);
      options.onLine?.(line);
      const restore = line.startsWith(restoreMarker)
        ? parseRestore(line.slice(restoreMarker.length))
        : undefined;
      if (restore !== undefined) {
        options.onRestore(restore);
      }
    });
    lines(this.child.stderr, keep);
    killLiveJobsOnExit();
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.on('error', (error) => {
        keep(`spawn failed: ${error.message}`);
        live.delete(this);
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The job's last lines of output, for a failure message. */
  outputTail(): string {
    return this.tail.join('\n');
  }

  /** Sends `signal` to the job's whole process group. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || !this.running) {
      return;
    }
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone: nothing left to signal.
    }
  }

  /** SIGKILL and wait until the process is gone. */
  async kill(): Promise<JobExit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /**
   * SIGTERM, then wait up to `timeoutMs` for a graceful exit; SIGKILL after that.
   * @returns the exit, and whether it stopped by itself in time
   */
  async terminate(timeoutMs: number): Promise<{ exit: JobExit; graceful: boolean }> {
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      return { exit: await this.kill(), graceful: false };
    }
    return { exit: first, graceful: true };
  }
}

/** The JSON of a restore line; undefined when it is not the documented shape (kept in the log). */
export function parseRestore(json: string): RestoreEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const { task, store, records, bytes, ms, at } = (parsed ?? {}) as Record<string, unknown>;
  if (
    typeof task !== 'string' ||
    typeof store !== 'string' ||
    typeof records !== 'number' ||
    typeof bytes !== 'number' ||
    typeof ms !== 'number'
  ) {
    return undefined;
  }
  return { task, store, records, bytes, ms, ...(typeof at === 'number' ? { at } : {}) };
}
