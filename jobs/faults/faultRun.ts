import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  connectionConfigFromEnv,
  RequestClient,
  RequestClientClosedError,
} from '../../operators/index.js';
import { TrafficGenerator } from '../generator/trafficGenerator.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { recommendationSerdes } from '../../pipelines/recommender/servingPipeline.js';
import { topics } from '../../schemas/topics.js';
import { FaultyStack, type FaultyStackPorts } from '../../deploy/local/stack/faultyStack.js';
import { lingeringMark } from '../cli/lingering.js';
import { traceTimersVariable } from '../cli/timerOrigins.js';
import { CliProcess, jobCounter, jobHealth } from './jobProcesses.js';

/** A fault the run applies, and how long it lasts. */
export interface Fault {
  readonly kind: 'broker-kill' | 'broker-pause' | 'registry-down';
  /** Kill: how long the broker stays down before its restart; pause and registry: how long. */
  readonly seconds: number;
}

export interface FaultRunOptions {
  readonly dir: string;
  readonly ports: FaultyStackPorts;
  readonly faults: readonly Fault[];
  /** Traffic before the first fault, for the features to fill in. */
  readonly warmUpSeconds: number;
  /** Time after a fault's end before the next fault, at least. */
  readonly settleSeconds: number;
  readonly eventsPerSecond: number;
  readonly requestsPerSecond: number;
  readonly log: (line: string) => void;
}

/** What one fault did to the system. */
export interface FaultOutcome {
  readonly fault: Fault;
  /** From the fault's end (the broker answers again) to the first of five personalised replies in a row. */
  readonly personalisedAfterSeconds: number | undefined;
  /** Replies whose request id or user is not the request's. */
  readonly wrongReplies: number;
  /** Requests sent meanwhile that got no reply in time, or an error. */
  readonly unanswered: number;
  /** Requests sent from the fault's start to the end of its settling, by what they got. */
  readonly replies: string;
  /** Job processes that exited by themselves during the fault and its settling. */
  readonly processExits: readonly string[];
  /** Every job process healthy again and making progress, without help. */
  readonly resumed: boolean;
  readonly resumeNote: string;
}

export interface FaultReport {
  readonly outcomes: readonly FaultOutcome[];
  /** Exit codes of the processes at the final SIGTERM (0 each when they stopped cleanly). */
  readonly finalExits: Readonly<Record<string, number | null | undefined>>;
  /**
   * Processes that outlived their stopped job (cli/lingering.ts exits them 5 s later, naming
   * what was still open): each a leak of the faults, a connection or timer nothing closed.
   */
  readonly lingered: readonly string[];
  readonly pass: boolean;
}

/** A personalised reply must come back within this much of the broker answering again. */
export const personalisedTargetSeconds = 30;

interface Answer {
  readonly sentAt: number;
  readonly outcome: 'personalised' | 'degraded' | 'unanswered' | 'wrong';
  /** Why a degraded reply was degraded. */
  readonly reason?: string;
}

/**
 * Runs the recommender as deployed (feature job, serving job and generator as processes, a
 * request client here) on a stack of its own, applies each fault in turn, and measures what
 * users would see: how long until replies are personalised again after the broker answers,
 * wrong replies, processes that died, and whether every job came back by itself.
 */
export async function runFaults(options: FaultRunOptions): Promise<FaultReport> {
  const { log } = options;
  mkdirSync(options.dir, { recursive: true });
  log(
    `stack: broker 127.0.0.1:${options.ports.kafka}, registry :${options.ports.registry}, in ${options.dir}`,
  );
  const stack = await FaultyStack.start(join(options.dir, 'stack-root'), options.ports);
  // Timers noted where they are made: a process that outlives its job names what holds it.
  const env = { ...stack.env, REELSTREAM_LOG: 'info', [traceTimersVariable]: '1' };
  const processes: CliProcess[] = [];
  let requests: RequestClient<string, RecommendationRequest, RecommendationReply> | undefined;
  // Aborted on the way out whatever happened: a fault that throws must not leave the request
  // loop asking a closed client forever (the process never ended).
  const stopAsking = new AbortController();
  try {
    const setup = CliProcess.start({
      name: 'setup',
      args: ['generate', '--setup-only'],
      env,
      logFile: join(options.dir, 'setup.log'),
    });
    const setupExit = await setup.finished();
    if (setupExit !== 0) {
      throw new Error(`generate --setup-only exited ${String(setupExit)} (see setup.log)`);
    }
    const featureQuery = `127.0.0.1:${options.ports.kafka + 10}`;
    const featureMetrics = `127.0.0.1:${options.ports.kafka + 11}`;
    const servingMetrics = `127.0.0.1:${options.ports.kafka + 12}`;
    const features = CliProcess.start({
      name: 'features',
      args: [
        'features',
        '--state-dir',
        join(options.dir, 'features-state'),
        '--query-endpoint',
        featureQuery,
        '--metrics-endpoint',
        featureMetrics,
      ],
      env,
      logFile: join(options.dir, 'features.log'),
    });
    const serving = CliProcess.start({
      name: 'serving',
      // As deployed by default: users' features and seen sets from the serving job's own
      // tables of the feature job's user topics, not queries of the feature job.
      args: [
        'serve',
        '--state-dir',
        join(options.dir, 'serving-state'),
        '--metrics-endpoint',
        servingMetrics,
      ],
      env,
      logFile: join(options.dir, 'serving.log'),
    });
    const seed = 7;
    const generator = CliProcess.start({
      name: 'generator',
      args: [
        'generate',
        '--rate',
        String(options.eventsPerSecond),
        '--scale',
        '0.001',
        '--seed',
        String(seed),
        '--no-kuairand',
        '--progress',
        '10',
      ],
      env,
      logFile: join(options.dir, 'generator.log'),
    });
    processes.push(features, serving, generator);
    const jobs = [
      {
        name: 'features',
        endpoint: featureMetrics,
        progress: 'reelstream_job_records_processed_total',
      },
      {
        name: 'serving',
        endpoint: servingMetrics,
        progress: 'reelstream_job_records_processed_total',
      },
    ];
    for (const job of jobs) {
      await until(
        async () => (await jobHealth(job.endpoint))?.ok === true,
        180_000,
        `${job.name} healthy`,
      );
    }
    log('features and serving running; generator producing');

    const connection = connectionConfigFromEnv({ ...process.env, ...stack.env });
    requests = await RequestClient.start({
      connection,
      requestTopic: topics.recommendationRequests,
      serdes: recommendationSerdes(),
    });
    const users = new TrafficGenerator({ seed, rate: 1, scale: 0.001, startTime: Date.now() })
      .population.users;
    const answers: Answer[] = [];
    // Users the recommender knows (a personalised reply before the faults): after the warm-up
    // only they are asked, so a degraded reply means a fault's trace, not a user without
    // history (who gets the popular list, degraded, by design).
    const known = new Set<number>();
    let askKnownOnly = false;
    let sequence = 0;
    const client = requests;
    const asking = (async () => {
      while (!stopAsking.signal.aborted) {
        const knownUsers = [...known];
        const index =
          askKnownOnly && knownUsers.length > 0
            ? (knownUsers[sequence % knownUsers.length] ?? 0)
            : sequence % users.length;
        const user = users[index];
        sequence += 1;
        if (user !== undefined) {
          const requestId = `fault-${sequence}`;
          const sentAt = Date.now();
          client
            .request(
              {
                requestId,
                userId: user.id,
                region: user.region,
                surface: 'HOME_FEED',
                count: 10,
                requestTime: sentAt,
                context: null,
              },
              { key: user.id, timeoutMs: 2_000 },
            )
            .then(
              (reply) => {
                const outcome =
                  reply.requestId !== requestId || reply.userId !== user.id
                    ? 'wrong'
                    : reply.degraded
                      ? 'degraded'
                      : 'personalised';
                if (outcome === 'personalised' && !askKnownOnly) {
                  known.add(index);
                }
                answers.push({
                  sentAt,
                  outcome,
                  ...(reply.degradedReason === null ? {} : { reason: reply.degradedReason }),
                });
              },
              (error: unknown) => {
                if (!(error instanceof RequestClientClosedError)) {
                  answers.push({ sentAt, outcome: 'unanswered' });
                }
              },
            );
        }
        await sleep(1_000 / options.requestsPerSecond);
      }
    })();

    log(`warming up for ${options.warmUpSeconds} s`);
    await sleep(options.warmUpSeconds * 1_000);
    askKnownOnly = true;
    log(`asking for the ${known.size} users with a personalised reply in the warm-up from now on`);
    if (known.size === 0) {
      throw new Error('no reply was personalised in the warm-up: the system never worked');
    }
    const outcomes: FaultOutcome[] = [];
    for (const fault of options.faults) {
      const startedAt = Date.now();
      const progressBefore = await Promise.all(
        jobs.map((job) => jobCounter(job.endpoint, job.progress)),
      );
      log(`fault: ${describeFault(fault)}`);
      const endedAt = await applyFault(stack, fault);
      log(
        `  fault over ${((endedAt - startedAt) / 1000).toFixed(0)} s after it began; watching recovery`,
      );
      // Personalised again: the first of five personalised replies in a row to requests sent
      // after the fault ended.
      const personalisedAt = await firstRun(answers, endedAt, { count: 5, timeoutMs: 180_000 });
      const resumed = await resumedByThemselves(jobs, progressBefore, {
        process: generator,
        logFile: join(options.dir, 'generator.log'),
      });
      const settleUntil = Math.max(Date.now(), endedAt + options.settleSeconds * 1_000);
      await sleep(settleUntil - Date.now());
      const during = answers.filter((a) => a.sentAt >= startedAt && a.sentAt < Date.now() - 2_500);
      const outcome: FaultOutcome = {
        fault,
        personalisedAfterSeconds:
          personalisedAt === undefined ? undefined : (personalisedAt - endedAt) / 1000,
        wrongReplies: during.filter((a) => a.outcome === 'wrong').length,
        unanswered: during.filter((a) => a.outcome === 'unanswered').length,
        replies: tally(during),
        processExits: processes.flatMap((p) => p.unexpectedExit ?? []),
        resumed: resumed.ok,
        resumeNote: resumed.note,
      };
      outcomes.push(outcome);
      log(`  ${describeOutcome(outcome)}`);
    }
    stopAsking.abort();
    await asking;
    writeFileSync(
      join(options.dir, 'answers.csv'),
      ['sentAt,outcome', ...answers.map((a) => `${a.sentAt},${a.outcome}`)].join('\n'),
    );
    const finalExits: Record<string, number | null | undefined> = {};
    for (const process of processes) {
      finalExits[process.name] = await process.stop(60_000);
    }
    const lingered = processes.flatMap((process) => {
      const line = readFileSync(join(options.dir, `${process.name}.log`), 'utf8')
        .split('\n')
        .find((text) => text.includes(lingeringMark));
      return line === undefined ? [] : [`${process.name}: ${line}`];
    });
    const pass =
      outcomes.every(
        (o) =>
          o.wrongReplies === 0 &&
          o.processExits.length === 0 &&
          o.resumed &&
          o.personalisedAfterSeconds !== undefined &&
          o.personalisedAfterSeconds <= personalisedTargetSeconds,
      ) &&
      Object.values(finalExits).every((code) => code === 0) &&
      lingered.length === 0;
    return { outcomes, finalExits, lingered, pass };
  } finally {
    stopAsking.abort();
    await requests?.close().catch(() => undefined);
    for (const process of processes) {
      await process.stop(30_000).catch(() => undefined);
    }
    await stack.down().catch(() => undefined);
  }
}

/** Applies the fault; resolves when it is over (the broker or registry answers again). */
async function applyFault(stack: FaultyStack, fault: Fault): Promise<number> {
  switch (fault.kind) {
    case 'broker-kill':
      await stack.killBroker();
      await sleep(fault.seconds * 1_000);
      await stack.startBroker();
      return Date.now();
    case 'broker-pause':
      await stack.pauseBroker();
      await sleep(fault.seconds * 1_000);
      await stack.resumeBroker();
      return Date.now();
    case 'registry-down':
      await stack.stopRegistry();
      await sleep(fault.seconds * 1_000);
      await stack.startRegistry();
      return Date.now();
  }
}

/** When the first of `count` personalised replies in a row (to requests sent after `from`) was sent. */
async function firstRun(
  answers: readonly Answer[],
  from: number,
  { count, timeoutMs }: { count: number; timeoutMs: number },
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const after = answers.filter((a) => a.sentAt >= from).sort((a, b) => a.sentAt - b.sentAt);
    for (let i = 0; i + count <= after.length; i++) {
      if (after.slice(i, i + count).every((a) => a.outcome === 'personalised')) {
        return after[i]?.sentAt;
      }
    }
    await sleep(500);
  }
  return undefined;
}

/** Every job healthy and past its progress before the fault; the generator still producing. */
async function resumedByThemselves(
  jobs: readonly { name: string; endpoint: string; progress: string }[],
  before: readonly (number | undefined)[],
  generator: { process: CliProcess; logFile: string },
): Promise<{ ok: boolean; note: string }> {
  const notes: string[] = [];
  let ok = true;
  for (const [i, job] of jobs.entries()) {
    let health: Awaited<ReturnType<typeof jobHealth>>;
    let progress: number | undefined;
    const healthy = await until(
      async () => {
        health = await jobHealth(job.endpoint);
        progress = await jobCounter(job.endpoint, job.progress);
        return health?.ok === true && (progress ?? 0) > (before[i] ?? 0);
      },
      120_000,
      `${job.name} resumed`,
    ).then(
      () => true,
      () => false,
    );
    ok &&= healthy;
    notes.push(
      `${job.name} ${health?.status ?? 'unreachable'} (recoveries ${health?.recoveries ?? '?'}, processed ${before[i] ?? '?'} → ${progress ?? '?'})`,
    );
  }
  const rodeThrough = readFileSync(generator.logFile, 'utf8').includes('broker unreachable');
  const running = generator.process.running;
  notes.push(
    `generator ${running ? 'running' : 'exited'}${rodeThrough ? ' (held its traffic through an outage)' : ''}`,
  );
  return { ok: ok && running, note: notes.join('; ') };
}

async function until(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    }
    await sleep(500);
  }
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'broker-kill':
      return `broker kill -9, restarted after ${fault.seconds} s`;
    case 'broker-pause':
      return `broker SIGSTOP for ${fault.seconds} s`;
    case 'registry-down':
      return `registry down for ${fault.seconds} s`;
  }
}

export function describeOutcome(outcome: FaultOutcome): string {
  const after =
    outcome.personalisedAfterSeconds === undefined
      ? 'never (within 180 s)'
      : `${outcome.personalisedAfterSeconds.toFixed(1)} s`;
  return (
    `personalised again after ${after}; wrong replies ${outcome.wrongReplies}; ` +
    `unanswered meanwhile ${outcome.unanswered}; process exits ${outcome.processExits.length}` +
    `${outcome.processExits.length > 0 ? ` (${outcome.processExits.join(', ')})` : ''}; ` +
    `resumed by itself: ${outcome.resumed ? 'yes' : 'NO'} (${outcome.resumeNote}); ` +
    `replies from the fault's start: ${outcome.replies}`
  );
}

/** `120 personalised, 30 degraded (user features: timeout), 12 unanswered`. */
function tally(answers: readonly Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) {
    const key =
      answer.reason === undefined ? answer.outcome : `${answer.outcome} (${answer.reason})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort(([, a], [, b]) => b - a)
    .map(([key, count]) => `${count} ${key}`)
    .join(', ');
}
