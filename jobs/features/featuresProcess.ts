import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { atNice, cliInvocation } from '../cli/cliInvocation.js';
import type {
  FeaturesProcessStats,
  FromFeaturesProcess,
  ToFeaturesProcess,
} from './featuresProcessMessages.js';

/** How long the job may take to join its group, restore and open its query endpoint. */
const startTimeoutMs = 120_000;
/** How long a graceful stop may take before the process is killed. */
const stopTimeoutMs = 60_000;

/**
 * The feature job running as its own process (`reelstream features`), started by the demo:
 * one event loop for the features and another for serving and the client, as in production,
 * where they are separate deployments. The process inherits the environment (brokers,
 * registry), logs to `logFile`, and answers stats over its IPC channel.
 */
export class FeaturesProcess {
  private readonly pendingStats: ((stats: FeaturesProcessStats) => void)[] = [];
  private readonly exited: Promise<void>;
  private exitCode: number | null | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly queryEndpoint: string,
  ) {
    child.on('message', (message: FromFeaturesProcess) => {
      if (message.kind === 'stats') {
        this.pendingStats.shift()?.(message);
      }
    });
    this.exited = once(child, 'exit').then(([code]: unknown[]) => {
      this.exitCode = typeof code === 'number' ? code : null;
    });
  }

  /** Starts the job and resolves once it is running and answering queries. */
  static async start(options: {
    stateDir: string;
    logFile: string;
    /** The process's nice value (default 0): what it yields to processes sharing its cores. */
    nice?: number;
  }): Promise<FeaturesProcess> {
    const invocation = cliInvocation(
      ['features', '--state-dir', options.stateDir, '--log-file', options.logFile],
      // A young generation of 64 MiB instead of 16: the job allocates a few short-lived objects
      // per record, and fewer, larger scavenges cost less (5,343 against 4,958 records/s on
      // bench/features/catchUp.ts, one run each).
      // An old generation capped at 512 MiB: V8 sizes its next full collection from the heap's
      // limit (a quarter of the machine's memory by default), so the job's garbage piled up and
      // its RSS rose ~18 MB/min for half an hour while its live heap stayed at 115 MB (measured
      // after forced full collections 2 min apart: +0.2 MB/min; docs/load.md).
      ['--max-semi-space-size=64', '--max-old-space-size=512'],
    );
    const cli = atNice(invocation, options.nice ?? 0);
    const child = spawn(cli.command, cli.args, {
      // RocksDB reads, writes and iterators all run on libuv's thread pool (4 threads by
      // default), and so does the read of an interactive query that misses the cache: with 36
      // tasks' state work queued ahead of it, a query waited seconds under load.
      env: { UV_THREADPOOL_SIZE: '16', ...process.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the feature job did not start within ${startTimeoutMs / 1000} s`));
      }, startTimeoutMs);
      child.on('message', (message: FromFeaturesProcess) => {
        if (message.kind === 'ready') {
          clearTimeout(timer);
          resolve(message.queryEndpoint);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `the feature job exited while starting (${signal ?? `code ${String(code)}`}); see ${options.logFile}`,
          ),
        );
      });
    });
    return new FeaturesProcess(child, await ready);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has ended (stopped, or died). */
  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Its processed records, CPU time and RSS; undefined once it has ended. */
  async stats(): Promise<FeaturesProcessStats | undefined> {
    if (!this.running || !this.child.connected) {
      return undefined;
    }
    const answer = new Promise<FeaturesProcessStats>((resolve) => this.pendingStats.push(resolve));
    this.send({ kind: 'stats' });
    return Promise.race([answer, this.exited.then(() => undefined)]);
  }

  /** Stops the job gracefully (commit, leave the group), killing it if that takes too long. */
  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.send({ kind: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private send(message: ToFeaturesProcess): void {
    if (this.child.connected) {
      this.child.send(message);
    }
  }
}
