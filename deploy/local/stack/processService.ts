import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { ManagedProcess } from './managedProcess.js';
import { ServiceStartError, type LocalService, type ServiceStatus } from './service.js';
import type { StackSettings } from './stackSettings.js';
import { waitUntil } from './waitUntil.js';

/**
 * The start/stop/status logic the stack's services share: a background process tracked by a pid
 * file, and a probe that says whether it answers clients. Subclasses say how to launch it, how to
 * probe it and how long a clean shutdown may take.
 */
export abstract class ProcessService implements LocalService {
  abstract readonly name: string;
  abstract readonly endpoint: string;
  protected readonly settings: StackSettings;
  protected readonly process: ManagedProcess;
  private readonly shutdownGraceMs: number;

  protected constructor(settings: StackSettings, options: { id: string; shutdownGraceMs: number }) {
    this.settings = settings;
    this.shutdownGraceMs = options.shutdownGraceMs;
    this.process = new ManagedProcess({
      name: options.id,
      pidFile: join(settings.stateDir, `${options.id}.pid`),
      logFile: join(settings.stateDir, 'logs', `${options.id}.out`),
    });
  }

  /** Whether the service answers a real client request right now. */
  abstract answers(): Promise<boolean>;

  /** Prepares (fetch, configure) and spawns the process through `this.process.start`. */
  protected abstract launch(): void;

  /** What to show when it fails to start: by default the process's own output. */
  protected failureLog(): string {
    return this.process.logTail();
  }

  async up(onStarting?: () => void): Promise<'started' | 'already-running'> {
    const pid = this.process.runningPid();
    if (pid !== undefined) {
      // Running already, perhaps still starting (another `up`, or a previous one that timed
      // out): wait for it rather than start a second one on the same ports.
      const outcome = await this.waitUntilAnswering();
      if (outcome === 'ready') {
        return 'already-running';
      }
      if (outcome === 'timeout') {
        throw new ServiceStartError(
          this.name,
          `process ${pid} runs but does not answer on ${this.endpoint}; 'reelstream stack down' stops it`,
          this.failureLog(),
        );
      }
    }
    onStarting?.();
    mkdirSync(join(this.settings.stateDir, 'logs'), { recursive: true });
    this.launch();
    const outcome = await this.waitUntilAnswering();
    if (outcome !== 'ready') {
      const reason =
        outcome === 'died'
          ? 'its process exited'
          : `it did not answer on ${this.endpoint} within ${this.settings.startTimeoutMs / 1000} s`;
      await this.process.stop(5_000);
      throw new ServiceStartError(this.name, reason, this.failureLog());
    }
    return 'started';
  }

  down(): Promise<'stopped' | 'killed' | 'not-running'> {
    return this.process.stop(this.shutdownGraceMs);
  }

  async status(): Promise<ServiceStatus> {
    const pid = this.process.runningPid();
    const base = { name: this.name, endpoint: this.endpoint, logFile: this.process.logFile };
    if (pid === undefined) {
      return { ...base, state: 'stopped' };
    }
    return { ...base, pid, state: (await this.answers()) ? 'running' : 'not-answering' };
  }

  private waitUntilAnswering(): Promise<'ready' | 'died' | 'timeout'> {
    return waitUntil({
      probe: () => this.answers(),
      stillAlive: () => this.process.runningPid() !== undefined,
      timeoutMs: this.settings.startTimeoutMs,
    });
  }
}
