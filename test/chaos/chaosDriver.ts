/**
 * The chaos itself: starts the job, kills it with SIGKILL on a seeded schedule, restarts it
 * (once without its state directory), kills or pauses the broker at seeded places in between
 * (the job is not restarted then: it must recover by itself), and waits until the last run has
 * consumed everything.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Admin } from 'kafkajs';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import {
  applyBrokerFault,
  describeFault,
  faultSchedule,
  type BrokerFaultOutcome,
  type ChaosFault,
} from './brokerFaults.js';
import type { ChaosRunOptions } from './chaosRun.js';
import { JobProcess, type JobExit, type RestoreEvent } from './jobProcess.js';
import {
  consumedTopics,
  groupBehind,
  groupMembers,
  groupProgress,
  type GroupProgress,
} from './progress.js';
import { reachable, type Reach } from './reachable.js';

/** The job the harness runs unless told otherwise. */
export const defaultJobFile = join(import.meta.dirname, 'chaosJob.ts');

/** Restores as the job reported them (`CHAOS_RESTORE` lines). */
export interface RestoreSummary {
  readonly stores: number;
  readonly records: number;
  readonly bytes: number;
  /** Restore time summed over the stores. */
  readonly ms: number;
  /**
   * Wall-clock time the restores took together: per run, from the first one's start to the
   * last one's end (tasks restore in parallel), summed over runs; undefined when the job's
   * lines do not say when each ended.
   */
  readonly wallMs: number | undefined;
}

/** The job's state directory: deleted before one restart. */
export function stateDirOf(options: ChaosRunOptions): string {
  return join(options.workDir, 'state');
}

/** Adds up restore events (of one run or of several: `runs` tells them apart). */
export function summarize(
  events: readonly RestoreEvent[],
  runOf: (event: RestoreEvent) => number = () => 1,
): RestoreSummary {
  const spans = new Map<number, { from: number; to: number }>();
  let timed = events.length > 0;
  for (const e of events) {
    if (e.at === undefined) {
      timed = false;
      continue;
    }
    const span = spans.get(runOf(e));
    const from = e.at - e.ms;
    spans.set(runOf(e), {
      from: Math.min(span?.from ?? from, from),
      to: Math.max(span?.to ?? e.at, e.at),
    });
  }
  return {
    stores: events.length,
    records: events.reduce((sum, e) => sum + e.records, 0),
    bytes: events.reduce((sum, e) => sum + e.bytes, 0),
    ms: events.reduce((sum, e) => sum + e.ms, 0),
    wallMs: timed ? [...spans.values()].reduce((sum, s) => sum + (s.to - s.from), 0) : undefined,
  };
}

/** Per run, its restores' summary (runs without restores left out). */
export function summarizeRuns(
  runs: readonly (readonly RestoreEvent[])[],
): { run: number; summary: RestoreSummary }[] {
  return runs.flatMap((events, index) =>
    events.length === 0 ? [] : [{ run: index + 1, summary: summarize(events) }],
  );
}

/** All runs' restores: bytes and records added up, wall-clock time per run added up. */
export function summarizeAll(runs: readonly (readonly RestoreEvent[])[]): RestoreSummary {
  const runOf = new Map<RestoreEvent, number>();
  runs.forEach((events, index) => events.forEach((e) => runOf.set(e, index + 1)));
  return summarize(runs.flat(), (e) => runOf.get(e) ?? 0);
}

export function formatMb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** MB/s with three significant digits: restores of small stores run well below 1 MB/s. */
export function restoreRate(bytes: number, ms: number | undefined): string {
  return ms !== undefined && ms > 0
    ? `${(bytes / 1_048_576 / (ms / 1000)).toPrecision(3)} MB/s`
    : 'n/a';
}

/**
 * `24 stores, 51234 records, 2.3 MB in 0.41 s together = 5.61 MB/s (22.3 s summed over stores
 * = 0.103 MB/s)`: the bytes of all stores over the wall-clock time their restores took, then
 * over the restore times added up (the work per store).
 */
export function formatRestore(s: RestoreSummary): string {
  const together =
    s.wallMs === undefined
      ? ''
      : ` in ${(s.wallMs / 1000).toFixed(2)} s together = ${restoreRate(s.bytes, s.wallMs)}`;
  return (
    `${s.stores} stores, ${s.records} records, ${formatMb(s.bytes)}${together} ` +
    `(${(s.ms / 1000).toFixed(1)} s summed over stores = ${restoreRate(s.bytes, s.ms)})`
  );
}

/** How long the final SIGTERM may take before the job is killed and the stop counts as failed. */
const stopTimeoutMs = 60_000;
/** A run that has not joined its group (or committed progress) after this long is killed anyway. */
const referenceTimeoutMs = 120_000;

/** A run that has joined and committed nothing for this long is taken to have nothing to do. */
const idleAfterJoinMs = 15_000;

/** How long the job may take to resume by itself after the broker answers again. */
const resumeTimeoutMs = 300_000;

/** What the job logs each time it enters the recovering state (StreamJob's lifecycle line). */
const recoveringLine = '"msg":"job recovering"';

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
  /** The broker faults, in order. */
  readonly brokerFaults: BrokerFaultOutcome[] = [];
  private readonly options: ChaosRunOptions;
  private readonly admin: Admin;
  private readonly log: (line: string) => void;
  /** The harness's admin calls ride through broker outages. */
  private readonly reach: Reach;
  private job: JobProcess | undefined;
  /** `job recovering` lines the job processes have printed so far. */
  private recoveringLines = 0;
  /** Group members of killed runs: the coordinator keeps them until their session times out. */
  private readonly deadMembers = new Set<string>();

  constructor(options: ChaosRunOptions, admin: Admin) {
    this.options = options;
    this.admin = admin;
    this.log = options.log ?? ((line: string) => console.log(line));
    this.reach = reachable(this.log);
  }

  /** @returns seconds from the last restart until the group had consumed everything */
  async run(): Promise<number> {
    const { options } = this;
    const random = seededRandom(options.seed ^ 0x5eed);
    const minUptimeMs = options.minUptimeMs ?? 2_000;
    const maxUptimeMs = Math.max(minUptimeMs, options.maxUptimeMs ?? 20_000);
    // The wipe comes before one of the restarts, never the first start (there is nothing to wipe).
    const wipeAfterKill = options.kills === 0 ? 0 : 1 + Math.floor(random() * options.kills);
    const schedule = faultSchedule({
      kills: options.kills,
      brokerKills: options.brokerKills ?? 0,
      brokerPauses: options.brokerPauses ?? 0,
      seed: options.seed,
      minOutageMs: options.minOutageMs ?? 5_000,
      maxOutageMs: options.maxOutageMs ?? 15_000,
    });
    if (schedule.some((fault) => fault.kind !== 'job-kill') && options.broker === undefined) {
      throw new Error('broker faults need a broker the harness owns (ChaosRunOptions.broker)');
    }
    if (schedule.length > options.kills) {
      this.log(`chaos: schedule ${schedule.map(describeFault).join('; ')}`);
    }
    mkdirSync(options.workDir, { recursive: true });
    rmSync(stateDirOf(options), { recursive: true, force: true });
    this.start();
    try {
      for (let next = 0; next < schedule.length;) {
        const fault = schedule[next] as ChaosFault;
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
        next++;
        if (fault.kind !== 'job-kill') {
          await this.brokerFault(
            fault,
            `${(uptimeMs / 1000).toFixed(1)} s after ${referenceText[reference]}`,
          );
          continue;
        }
        const progress = await this.progress();
        const { members } = await groupMembers(this.admin, options.applicationId, this.reach);
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
        '--rows',
        options.topics.rows,
        '--category-output',
        options.topics.categoryOutput,
        '--guarantee',
        options.guarantee,
        '--state-dir',
        stateDirOf(options),
      ],
      env: this.clusterEnv(),
      cwd: repoRoot,
      logFile: join(options.workDir, 'job.log'),
      run,
      onRestore: (event) => restores.push(event),
      onLine: (line) => {
        if (line.includes(recoveringLine)) {
          this.recoveringLines++;
        }
      },
    });
    void this.job.exited.then(() => {
      if (restores.length > 0) {
        const summary = summarize(restores);
        this.log(`chaos: run ${run} restored ${formatRestore(summary)}`);
      }
    });
  }

  /** The environment of the job and of `reelstream lag`: the cluster the harness runs on. */
  private clusterEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      REELSTREAM_BROKERS: this.options.connection.brokers.join(','),
      REELSTREAM_REGISTRY_URL: this.options.connection.registry.url,
    };
  }

  /**
   * Kills (and restarts) or pauses (and thaws) the broker; the job process stays as it is. Then
   * waits until the job has resumed by itself: the group commits progress beyond what it had when
   * the broker answered again. A job that dies meanwhile is a crash (recorded, restarted).
   */
  private async brokerFault(
    fault: Extract<ChaosFault, { kind: 'broker-kill' | 'broker-pause' }>,
    when: string,
  ): Promise<void> {
    const broker = this.options.broker;
    if (broker === undefined) {
      throw new Error('broker faults need a broker the harness owns');
    }
    const number = this.brokerFaults.length + 1;
    const run = this.runs;
    const recoveringBefore = this.recoveringLines;
    this.log(`chaos: broker fault #${number} during run ${run}, ${when}: ${describeFault(fault)}`);
    const outageMs = await applyBrokerFault(broker, fault, (ms) => sleep(ms));
    const back = performance.now();
    this.log(
      `chaos: broker fault #${number}: the broker answers again after ${(outageMs / 1000).toFixed(1)} s; ` +
        'waiting for the job to resume by itself',
    );
    const resumedAfterMs = await this.resumed(back);
    const outcome: BrokerFaultOutcome = {
      kind: fault.kind,
      run,
      outageMs,
      resumedAfterMs,
      recoveries: this.recoveringLines - recoveringBefore,
    };
    this.brokerFaults.push(outcome);
    this.log(
      `chaos: broker fault #${number}: ` +
        (resumedAfterMs === undefined
          ? `the job did not resume within ${resumeTimeoutMs / 1000} s`
          : `the job resumed by itself ${(resumedAfterMs / 1000).toFixed(1)} s after the broker answered`) +
        ` (${outcome.recoveries} × recovering in its log)`,
    );
  }

  /**
   * Waits until the group commits progress beyond what it had committed at `since` (or has
   * consumed everything, or has been joined and idle with the whole input committed: nothing
   * left to commit but transaction markers). A crash meanwhile is recorded and restarted.
   * @returns milliseconds from `since`, or undefined after {@link resumeTimeoutMs}
   */
  private async resumed(since: number): Promise<number | undefined> {
    const atReturn = await this.progress();
    let joinedAt: number | undefined;
    while (performance.now() - since < resumeTimeoutMs) {
      const job = this.currentJob();
      if (!job.running) {
        this.crashed(await job.exited);
        return undefined;
      }
      const now = await this.progress();
      if (now.committed > atReturn.committed || now.committed >= now.end) {
        return performance.now() - since;
      }
      if ((await this.hasJoined()).joined) {
        joinedAt ??= performance.now();
        const input = await this.inputProgress();
        if (input.committed >= input.end && performance.now() - joinedAt > idleAfterJoinMs) {
          return performance.now() - since;
        }
      } else {
        joinedAt = undefined;
      }
      await sleep(500);
    }
    return undefined;
  }

  /** Committed progress on the input only: what the catch-up wait polls. */
  private inputProgress(): Promise<GroupProgress> {
    return groupProgress(this.admin, {
      groupId: this.options.applicationId,
      topics: [this.options.topics.input],
      reach: this.reach,
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
      rows: this.options.topics.rows,
      reach: this.reach,
    });
    return groupProgress(this.admin, {
      groupId: this.options.applicationId,
      topics: topics.map((t) => t.topic),
      reach: this.reach,
    });
  }

  /**
   * Whether the current run is in the group: the group is Stable and none of its members belongs
   * to a killed run (the coordinator keeps those until their session times out).
   */
  private async hasJoined(): Promise<{ joined: boolean; state: string; members: number }> {
    const group = await groupMembers(this.admin, this.options.applicationId, this.reach);
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
            rows: options.topics.rows,
            reach: this.reach,
          }),
          this.clusterEnv(),
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
