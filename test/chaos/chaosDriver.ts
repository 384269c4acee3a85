/**
 * The chaos itself: starts the job, kills it with SIGKILL on a seeded schedule, restarts it
 * (once without its state directory), and waits until the last run has consumed everything.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Admin } from 'kafkajs';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import type { ChaosRunOptions } from './chaosRun.js';
import { JobProcess, type JobExit, type RestoreEvent } from './jobProcess.js';
import {
  consumedTopics,
  groupBehind,
  groupMembers,
  groupProgress,
  type GroupProgress,
} from './progress.js';

/** The job the harness runs unless told otherwise. */
export const defaultJobFile = join(import.meta.dirname, 'chaosJob.ts');

/** Restores as the job reported them (`CHAOS_RESTORE` lines). */
export interface RestoreSummary {
  readonly stores: number;
  readonly records: number;
  readonly bytes: number;
  /** Restore time summed over the stores. */
  readonly ms: number;
}

/** The job's state directory: deleted before one restart. */
export function stateDirOf(options: ChaosRunOptions): string {
  return join(options.workDir, 'state');
}

/** Adds up restore events. */
export function summarize(events: readonly RestoreEvent[]): RestoreSummary {
  return {
    stores: events.length,
    records: events.reduce((sum, e) => sum + e.records, 0),
    bytes: events.reduce((sum, e) => sum + e.bytes, 0),
    ms: events.reduce((sum, e) => sum + e.ms, 0),
  };
}

export function formatMb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** How long the final SIGTERM may take before the job is killed and the stop counts as failed. */
const stopTimeoutMs = 60_000;
/** A run that has not joined its group (or committed progress) after this long is killed anyway. */
const referenceTimeoutMs = 120_000;

/** A run that has joined and committed nothing for this long is taken to have nothing to do. */
const idleAfterJoinMs = 15_000;

/** What a kill's random delay counts from. */
type KillReference = 'start' | 'join' | 'progress';

const referenceText: Readonly<Record<KillReference, string>> = {
  start: 'its start',
  join: 'it joined the group',
  progress: 'its first committed progress',
};

/** A job that keeps dying on its own is broken; stop restarting it after this many crashes. */
const maxUnexpectedExits = 5;

/** Starts, kills and restarts the job; keeps count. */
export class ChaosDriver {
  kills = 0;
  killsMidProcessing = 0;
  runs = 0;
  wipedRun: number | undefined;
  gracefulStop = false;
  readonly unexpectedExits: string[] = [];
  /** Restore events per run (index 0 = run 1). */
  readonly restores: RestoreEvent[][] = [];
  private readonly options: ChaosRunOptions;
  private readonly admin: Admin;
  private readonly log: (line: string) => void;
  private job: JobProcess | undefined;
  /** Group members of killed runs: the coordinator keeps them until their session times out. */
  private readonly deadMembers = new Set<string>();

  constructor(options: ChaosRunOptions, admin: Admin) {
    this.options = options;
    this.admin = admin;
    this.log = options.log ?? ((line: string) => console.log(line));
  }

  /** @returns seconds from the last restart until the group had consumed everything */
  async run(): Promise<number> {
    const { options } = this;
    const random = seededRandom(options.seed ^ 0x5eed);
    const minUptimeMs = options.minUptimeMs ?? 2_000;
    const maxUptimeMs = Math.max(minUptimeMs, options.maxUptimeMs ?? 20_000);
    // The wipe comes before one of the restarts, never the first start (there is nothing to wipe).
    const wipeAfterKill = options.kills === 0 ? 0 : 1 + Math.floor(random() * options.kills);
    mkdirSync(options.workDir, { recursive: true });
    rmSync(stateDirOf(options), { recursive: true, force: true });
    this.start();
    try {
      while (this.kills < options.kills) {
        // Where each kill's delay counts from: a quarter from the process start, so some land in
        // start-up and state restore; a quarter from the moment the run joined its group; half
        // from the run's first committed progress, so they land mid-processing however long
        // start-up and the first commit take.
        const draw = random();
        const reference: KillReference = draw < 0.25 ? 'start' : draw < 0.5 ? 'join' : 'progress';
        const uptimeMs = minUptimeMs + Math.floor(random() * (maxUptimeMs - minUptimeMs + 1));
        const before = await this.progress();
        if (reference !== 'start' && !(await this.until(reference, before))) {
          continue;
        }
        if (!(await this.stayUp(uptimeMs))) {
          continue;
        }
        const progress = await this.progress();
        const { members } = await groupMembers(this.admin, options.applicationId);
        await this.currentJob().kill();
        members.forEach((member) => this.deadMembers.add(member));
        this.kills++;
        if (progress.committed > before.committed && progress.committed < progress.end) {
          this.killsMidProcessing++;
        }
        const wipe = this.kills === wipeAfterKill;
        this.log(
          `chaos: kill -9 #${this.kills}, run ${this.runs}, ${(uptimeMs / 1000).toFixed(1)} s after ` +
            `${referenceText[reference]} (group committed ` +
            `${before.committed} -> ${progress.committed} of ${progress.end})` +
            (wipe ? '; deleting the state directory before the restart' : ''),
        );
        if (wipe) {
          rmSync(stateDirOf(options), { recursive: true, force: true });
          this.wipedRun = this.runs + 1;
        }
        this.start();
      }
      const started = performance.now();
      await this.waitUntilCaughtUp();
      const catchUpSeconds = (performance.now() - started) / 1000;
      this.log('chaos: the group has consumed everything; SIGTERM');
      const stopped = await this.currentJob().terminate(stopTimeoutMs);
      this.gracefulStop = stopped.graceful && stopped.exit.code === 0;
      if (!this.gracefulStop) {
        this.log(
          `chaos: the job did not stop cleanly (${describeExit(stopped.exit)}):\n` +
            this.currentJob().outputTail(),
        );
      }
      return catchUpSeconds;
    } finally {
      // Whatever went wrong, no job process outlives the harness.
      await this.job?.kill();
    }
  }

  private currentJob(): JobProcess {
    if (this.job === undefined) {
      throw new Error('no job process was started');
    }
    return this.job;
  }

  private start(): void {
    const { options } = this;
    this.runs++;
    const run = this.runs;
    const restores: RestoreEvent[] = [];
    this.restores.push(restores);
    this.job = new JobProcess({
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        options.jobFile ?? defaultJobFile,
        '--app',
        options.applicationId,
        '--input',
        options.topics.input,
        '--video-output',
        options.topics.videoOutput,
        '--user-output',
        options.topics.userOutput,
        '--late-output',
        options.topics.lateOutput,
        '--guarantee',
        options.guarantee,
        '--state-dir',
        stateDirOf(options),
      ],
      env: {
        ...process.env,
        REELSTREAM_BROKERS: options.connection.brokers.join(','),
        REELSTREAM_REGISTRY_URL: options.connection.registry.url,
      },
      cwd: repoRoot,
      logFile: join(options.workDir, 'job.log'),
      run,
      onRestore: (event) => restores.push(event),
    });
    void this.job.exited.then(() => {
      if (restores.length > 0) {
        const summary = summarize(restores);
        this.log(
          `chaos: run ${run} restored ${summary.stores} stores, ${summary.records} records, ` +
            `${formatMb(summary.bytes)} in ${summary.ms} ms (summed over stores)`,
        );
      }
    });
  }

  /** Committed progress on the input only: what the catch-up wait polls. */
  private inputProgress(): Promise<GroupProgress> {
    return groupProgress(this.admin, {
      groupId: this.options.applicationId,
      topics: [this.options.topics.input],
    });
  }

  /**
   * Committed progress on everything the group reads, repartition topics included: the input
   * can be all committed while the windows behind the repartition topic are still far behind.
   */
  private async progress(): Promise<GroupProgress> {
    const topics = await consumedTopics(this.admin, {
      applicationId: this.options.applicationId,
      input: this.options.topics.input,
    });
    return groupProgress(this.admin, {
      groupId: this.options.applicationId,
      topics: topics.map((t) => t.topic),
    });
  }

  /**
   * Whether the current run is in the group: the group is Stable and none of its members belongs
   * to a killed run (the coordinator keeps those until their session times out).
   */
  private async hasJoined(): Promise<{ joined: boolean; state: string; members: number }> {
    const group = await groupMembers(this.admin, this.options.applicationId);
    return {
      joined:
        group.state === 'Stable' &&
        group.members.length > 0 &&
        group.members.every((member) => !this.deadMembers.has(member)),
      state: group.state,
      members: group.members.length,
    };
  }

  /**
   * Waits until the current run has joined the group, or (`progress`) until it has also
   * committed input beyond `before`; at most `referenceTimeoutMs`, then it is killed wherever
   * it is. A crash meanwhile is recorded and restarted.
   * @returns false when the job crashed
   */
  private async until(reference: 'join' | 'progress', before: GroupProgress): Promise<boolean> {
    const deadline = performance.now() + referenceTimeoutMs;
    let joinedAt: number | undefined;
    while (performance.now() < deadline) {
      const job = this.currentJob();
      if (!job.running) {
        this.crashed(await job.exited);
        return false;
      }
      if ((await this.hasJoined()).joined) {
        joinedAt ??= performance.now();
        const now = reference === 'join' ? undefined : await this.progress();
        // A joined run that commits nothing for a while has nothing left to do (or commits
        // offsets short of the end, e.g. before transaction markers): no progress to wait for.
        if (
          now === undefined ||
          now.committed > before.committed ||
          now.committed >= now.end ||
          performance.now() - joinedAt > idleAfterJoinMs
        ) {
          return true;
        }
      }
      await sleep(250);
    }
    this.log(
      `chaos: run ${this.runs} did not ${reference === 'join' ? 'join the group' : 'commit progress'} ` +
        `within ${referenceTimeoutMs / 1000} s; killing it anyway`,
    );
    return true;
  }

  /**
   * Waits `ms` with the job running. A job that exits on its own meanwhile is a crash: it is
   * recorded and restarted, and the wait starts over.
   * @returns false when the job crashed
   */
  private async stayUp(ms: number): Promise<boolean> {
    const job = this.currentJob();
    const outcome = await Promise.race([job.exited, sleep(ms).then(() => 'up' as const)]);
    if (outcome === 'up') {
      return true;
    }
    this.crashed(outcome);
    return false;
  }

  private crashed(exit: JobExit): void {
    const what = `run ${this.runs} ${describeExit(exit)}`;
    this.unexpectedExits.push(what);
    this.log(
      `chaos: the job died by itself (${what}); last output:\n${this.currentJob().outputTail()}`,
    );
    if (this.unexpectedExits.length >= maxUnexpectedExits) {
      throw new Error(`the job died by itself ${this.unexpectedExits.length} times; giving up`);
    }
    this.start();
  }

  /**
   * Waits until the last run has joined the group and the group has consumed everything: the
   * group is Stable with members none of which belongs to a killed run (offsets committed before
   * the last kill can already cover the whole input, so lag alone would SIGTERM a job that never
   * ran), the input offsets (cheap to poll) are all committed, and `reelstream lag` sees every
   * partition the group reads, repartition topics included, caught up. A crash meanwhile is
   * restarted.
   */
  private async waitUntilCaughtUp(): Promise<void> {
    const { options } = this;
    const deadline = performance.now() + (options.settleTimeoutMs ?? 600_000);
    let lastLog = 0;
    for (;;) {
      const job = this.currentJob();
      if (!job.running) {
        this.crashed(await job.exited);
        continue;
      }
      const progress = await this.inputProgress();
      const group = await this.hasJoined();
      let behind: string | undefined = group.joined
        ? `input committed ${progress.committed}/${progress.end}`
        : `the last run has not joined the group yet (group ${group.state}, ` +
          `${group.members} members)`;
      if (group.joined && progress.committed >= progress.end) {
        behind = await groupBehind(
          options.applicationId,
          await consumedTopics(this.admin, {
            applicationId: options.applicationId,
            input: options.topics.input,
          }),
        );
        if (behind === undefined) {
          return;
        }
      }
      if (performance.now() > deadline) {
        throw new Error(
          `the job did not catch up within ${(options.settleTimeoutMs ?? 600_000) / 1000} s: ` +
            `${behind}\n${job.outputTail()}`,
        );
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        this.log(`chaos: waiting for the job to catch up: ${behind}`);
      }
      await sleep(1_000);
    }
  }
}

export function describeExit(exit: JobExit): string {
  return exit.signal === null ? `exit code ${String(exit.code)}` : `signal ${exit.signal}`;
}
