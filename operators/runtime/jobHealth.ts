import type { JobLifecycle, JobState } from './jobLifecycle.js';
import { causeMessages } from './transientErrors.js';

/**
 * What a health check needs to know of a job: `ok` is what a readiness probe answers (true
 * while the job is running or rebalancing), `status` what on-call reads.
 *
 * @category Runtime
 */
export interface JobHealthReport {
  readonly ok: boolean;
  /** `recovering`: the broker or registry is unreachable and the job waits to start again. */
  readonly status: 'starting' | 'running' | 'recovering' | 'stopping' | 'stopped' | 'failed';
  readonly state: JobState;
  /** When the job entered its current state, ms since the epoch. */
  readonly since: number;
  /** Runs started after an outage, since the job started. */
  readonly recoveries: number;
  /** When the current outage began (the first unreachable answer), if one is under way. */
  readonly outageSince?: number;
  /** Why the job is recovering or failed. */
  readonly reason?: string;
}

/** Follows a job's lifecycle and outages for {@link JobHealthReport}. */
export class JobHealth {
  private readonly lifecycle: JobLifecycle;
  private since = Date.now();
  private recoveries = 0;
  private outageStarted: number | undefined;
  private inOutage = false;
  private reason: string | undefined;

  constructor(lifecycle: JobLifecycle) {
    this.lifecycle = lifecycle;
    lifecycle.onChange(() => {
      this.since = Date.now();
    });
  }

  /** When the outage being recovered from began; undefined when none is. */
  get outageStartedAt(): number | undefined {
    return this.outageStarted;
  }

  /** The broker or registry did not answer. */
  outage(error: unknown, startedAt: number): void {
    this.outageStarted ??= startedAt;
    this.inOutage = true;
    this.reason = causeMessages(error);
  }

  /** A run is consuming again (after an outage, a recovery). */
  runStarted(): void {
    if (this.inOutage) {
      this.recoveries += 1;
      this.inOutage = false;
    }
    this.reason = undefined;
  }

  /** A run lasted long enough: the next outage is a new one. */
  outageOver(): void {
    if (!this.inOutage) {
      this.outageStarted = undefined;
    }
  }

  failed(error: Error): void {
    this.reason = causeMessages(error);
  }

  report(): JobHealthReport {
    const state = this.lifecycle.state;
    const status = statusOf(state);
    return {
      ok: status === 'running',
      status,
      state,
      since: this.since,
      recoveries: this.recoveries,
      ...(this.outageStarted === undefined || !this.inOutage
        ? {}
        : { outageSince: this.outageStarted }),
      ...(this.reason === undefined ? {} : { reason: this.reason }),
    };
  }
}

function statusOf(state: JobState): JobHealthReport['status'] {
  switch (state) {
    case 'created':
    case 'starting':
      return 'starting';
    case 'running':
    case 'rebalancing':
      return 'running';
    case 'recovering':
    case 'stopping':
    case 'stopped':
    case 'failed':
      return state;
  }
}
