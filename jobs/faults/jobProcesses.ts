import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

import { cliInvocation } from '../cli/cliInvocation.js';

/** One `reelstream …` child of the fault run, with how and when it ended. */
export class CliProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  private readonly exited: Promise<void>;
  /** Whether the run asked it to stop (its exit is then expected). */
  private stopRequested = false;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        resolve();
      });
    });
  }

  /** Starts `reelstream <args>` with `env` added, its output appended to `logFile`. */
  static start(options: {
    name: string;
    args: readonly string[];
    env: Readonly<Record<string, string>>;
    logFile: string;
  }): CliProcess {
    const cli = cliInvocation(options.args);
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const child = spawn(cli.command, cli.args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Both streams into one file, which neither may end: the other may still be writing.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('close', () => log.end());
    return new CliProcess(options.name, child);
  }

  /** Ended without being asked to: a crash, or a give-up the run counts against the system. */
  get unexpectedExit(): string | undefined {
    if (this.exit === undefined || this.stopRequested) {
      return undefined;
    }
    return `${this.name} exited (${this.exit.signal ?? `code ${String(this.exit.code)}`})`;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Waits for it to end by itself (a one-off command); its exit code, null when killed. */
  async finished(): Promise<number | null> {
    this.stopRequested = true;
    await this.exited;
    return this.exit?.code ?? null;
  }

  /** SIGTERM, then the exit code (SIGKILL and `undefined` after `graceMs`). */
  async stop(graceMs: number): Promise<number | null | undefined> {
    if (this.exit !== undefined) {
      return this.stopRequested ? this.exit.code : undefined;
    }
    this.stopRequested = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    const exit = this.exit as { code: number | null; signal: NodeJS.Signals | null } | undefined;
    return exit?.signal === 'SIGKILL' ? undefined : exit?.code;
  }
}

/** The monitoring endpoint's `/health` of a job process: ok, and its job's status. */
export async function jobHealth(
  endpoint: string,
): Promise<{ ok: boolean; status: string; recoveries: number } | undefined> {
  try {
    const response = await fetch(`http://${endpoint}/health`, {
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as {
      ok: boolean;
      jobs: Record<string, { status: string; recoveries: number }>;
    };
    const job = Object.values(body.jobs)[0];
    return { ok: body.ok, status: job?.status ?? '?', recoveries: job?.recoveries ?? 0 };
  } catch {
    return undefined;
  }
}

/** A counter of a job process's `/metrics` (summed over labels), undefined when unreachable. */
export async function jobCounter(endpoint: string, name: string): Promise<number | undefined> {
  try {
    const response = await fetch(`http://${endpoint}/metrics`, {
      signal: AbortSignal.timeout(2_000),
    });
    let sum = 0;
    for (const line of (await response.text()).split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  } catch {
    return undefined;
  }
}
