/**
 * One kill -9 run: input, the job under SIGKILL (and the broker under SIGKILL or SIGSTOP when
 * asked), the wait for it to catch up, a graceful stop, and the verifier. `run.ts` (the long form) and `exactlyOnce.integration.test.ts` (the short
 * form) both call {@link runChaos}.
 */
import { rmSync } from 'node:fs';

import type { Admin } from 'kafkajs';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { waitForTopicLeaders } from '../support/topicLeaders.js';
import type { BrokerFaultOutcome, FaultableBroker } from './brokerFaults.js';
import {
  ChaosDriver,
  formatRestore,
  stateDirOf,
  summarize,
  summarizeAll,
  summarizeRuns,
  type RestoreSummary,
} from './chaosDriver.js';
import { defaultBaseTimeMs, produceChaosInput } from './generator.js';
import { reachable } from './reachable.js';
import {
  formatVerifyReport,
  verifyChaos,
  type ChaosGuarantee,
  type ChaosTopics,
  type VerifyReport,
} from './verifier.js';

export { defaultJobFile } from './chaosDriver.js';

export interface ChaosRunOptions {
  readonly connection: ConnectionConfig;
  readonly applicationId: string;
  readonly topics: ChaosTopics;
  readonly guarantee: ChaosGuarantee;
  readonly events: number;
  readonly kills: number;
  /** Broker kills (SIGKILL, restart after an outage) mixed into the kills (default 0). */
  readonly brokerKills?: number;
  /** Broker pauses (SIGSTOP, SIGCONT after an outage) mixed into the kills (default 0). */
  readonly brokerPauses?: number;
  /** Each broker fault's outage is a seeded random time in [min, max] (default 5 s, 15 s). */
  readonly minOutageMs?: number;
  readonly maxOutageMs?: number;
  /**
   * The broker the faults hit: a stack the harness owns (FaultyStack), the one `connection`
   * points at. Needed only with broker faults.
   */
  readonly broker?: FaultableBroker;
  readonly seed: number;
  /** Where the job's state directory and the job log go. */
  readonly workDir: string;
  /** Input partitions (default 12). */
  readonly partitions?: number;
  /** The job's entry point (default test/chaos/chaosJob.ts). */
  readonly jobFile?: string;
  /**
   * Each kill comes a seeded random time in [min, max] after its reference moment: the process
   * start, the run joining its group, or its first committed progress (README.md).
   */
  readonly minUptimeMs?: number;
  readonly maxUptimeMs?: number;
  /** How long the last run may take to consume everything (default 10 min). */
  readonly settleTimeoutMs?: number;
  readonly baseTimeMs?: number;
  readonly keepTopics?: boolean;
  /** Keep them when the run fails (or the harness does), to look at what went wrong. */
  readonly keepTopicsOnFailure?: boolean;
  readonly log?: (line: string) => void;
}

export interface ChaosRunReport {
  readonly kills: number;
  /**
   * Kills that came after the run had committed some progress (input or repartition topics),
   * while records remained to be consumed.
   */
  readonly killsMidProcessing: number;
  readonly restarts: number;
  /** Broker kills and pauses, in order; the job was not restarted after any of them. */
  readonly brokerFaults: readonly BrokerFaultOutcome[];
  /** The run (1 = first start) whose state directory was deleted before it started. */
  readonly wipedRun: number | undefined;
  /** Exits nobody asked for (crashes), with their exit code or signal. */
  readonly unexpectedExits: readonly string[];
  readonly restores: RestoreSummary;
  /** Restores per run (runs without restores left out). */
  readonly restoreRuns: readonly { readonly run: number; readonly summary: RestoreSummary }[];
  /** Restores of the run that started without its state directory. */
  readonly fullRestore: RestoreSummary | undefined;
  /** Whether the final SIGTERM stopped the job with exit code 0 in time. */
  readonly gracefulStop: boolean;
  readonly produceSeconds: number;
  readonly catchUpSeconds: number;
  readonly verify: VerifyReport;
  readonly failures: readonly string[];
}

/** Runs the whole scenario; see README.md. Never throws for a verification failure. */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosRunReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const kafka = createKafkaJs(options.connection, { clientId: 'chaos-harness' });
  const reach = reachable(log);
  const admin = kafka.admin();
  await reach('connect', () => admin.connect());
  let passed = false;
  try {
    await reach('create topics', () => createTopics(admin, options));
    const baseTimeMs = options.baseTimeMs ?? defaultBaseTimeMs();
    log(
      `generator: ${options.events} events, seed ${options.seed}, event time from ` +
        `${new Date(baseTimeMs).toISOString()}, into ${options.topics.input}`,
    );
    const produceSeconds = await produceChaosInput({
      kafka,
      schemas: new RegistrySchemaCatalog(createRegistryClient(options.connection.registry)),
      topic: options.topics.input,
      events: options.events,
      seed: options.seed,
      baseTimeMs,
      log,
    });
    const chaos = new ChaosDriver(options, admin);
    const catchUpSeconds = await chaos.run();
    log('verifier: reading everything back with read_committed');
    const verify = await verifyChaos({
      kafka,
      connection: options.connection,
      topics: options.topics,
      applicationId: options.applicationId,
      guarantee: options.guarantee,
      log,
    });
    const failures = [...verify.failures];
    if (chaos.unexpectedExits.length > 0) {
      failures.push(`the job died by itself: ${chaos.unexpectedExits.join('; ')}`);
    }
    if (!chaos.gracefulStop) {
      failures.push('the job did not stop with exit code 0 after SIGTERM');
    }
    chaos.brokerFaults.forEach((fault, index) => {
      if (fault.resumedAfterMs === undefined) {
        failures.push(`the job did not resume by itself after broker fault #${index + 1}`);
      }
    });
    const report: ChaosRunReport = {
      kills: chaos.kills,
      killsMidProcessing: chaos.killsMidProcessing,
      restarts: chaos.runs - 1,
      brokerFaults: chaos.brokerFaults,
      wipedRun: chaos.wipedRun,
      unexpectedExits: chaos.unexpectedExits,
      restores: summarizeAll(chaos.restores),
      restoreRuns: summarizeRuns(chaos.restores),
      fullRestore:
        chaos.wipedRun === undefined
          ? undefined
          : summarize(chaos.restores[chaos.wipedRun - 1] ?? []),
      gracefulStop: chaos.gracefulStop,
      produceSeconds,
      catchUpSeconds,
      verify,
      failures,
    };
    passed = failures.length === 0;
    return report;
  } finally {
    if (options.keepTopics === true || (options.keepTopicsOnFailure === true && !passed)) {
      log(`chaos: kept topics ${options.applicationId}*, the group and ${options.workDir}`);
    } else {
      await reach('clean up', () => cleanUp(admin, options)).catch((error: unknown) =>
        log(`chaos: clean-up failed: ${String(error)}`),
      );
    }
    await admin.disconnect();
  }
}

/** The run's own topics: the input, the rows topic the job reads back, and the outputs. */
function topicNames(topics: ChaosTopics): string[] {
  return [
    topics.input,
    topics.videoOutput,
    topics.userOutput,
    topics.lateOutput,
    topics.rows,
    topics.categoryOutput,
  ];
}

async function createTopics(admin: Admin, options: ChaosRunOptions): Promise<void> {
  const { topics } = options;
  const names = topicNames(topics);
  await admin.createTopics({
    waitForLeaders: false,
    topics: names.map((topic) => ({
      topic,
      numPartitions: options.partitions ?? 12,
      replicationFactor: 1,
    })),
  });
  await waitForTopicLeaders(admin, names);
}

/** Deletes the run's topics (its own and the job's internal ones), its group and its state. */
async function cleanUp(admin: Admin, options: ChaosRunOptions): Promise<void> {
  const { topics, applicationId } = options;
  rmSync(stateDirOf(options), { recursive: true, force: true });
  const internal = (await admin.listTopics()).filter(
    (topic) => topic.startsWith(`${applicationId}-`) || topic.startsWith(`${applicationId}.`),
  );
  await admin
    .deleteTopics({
      topics: [...new Set([...topicNames(topics), ...internal])],
    })
    .catch(() => undefined);
  await admin.deleteGroups([applicationId]).catch(() => undefined);
}

/**
 * `2 × kill -9 + restart, 1 × SIGSTOP + SIGCONT, 0 job restarts; outage 17.2 s, resumed by
 * itself 9.1 s after (1 × recovering) | …`
 */
function brokerFaultsLine(faults: readonly BrokerFaultOutcome[]): string {
  const kills = faults.filter((f) => f.kind === 'broker-kill').length;
  const pauses = faults.length - kills;
  const each = faults.map(
    (f) =>
      `${f.kind === 'broker-kill' ? 'kill' : 'pause'} in run ${f.run}: outage ` +
      `${(f.outageMs / 1000).toFixed(1)} s, ` +
      (f.resumedAfterMs === undefined
        ? 'did NOT resume'
        : `resumed ${(f.resumedAfterMs / 1000).toFixed(1)} s after`) +
      ` (${f.recoveries} × recovering)`,
  );
  return (
    `${kills} × broker kill -9 + restart, ${pauses} × broker SIGSTOP + SIGCONT, ` +
    `no restart by the harness: ${each.join('; ')}`
  );
}

/** The summary `run.ts` prints at the end. */
export function formatChaosReport(report: ChaosRunReport, options: ChaosRunOptions): string[] {
  return [
    `chaos summary (${options.guarantee}, ${options.events} events, seed ${options.seed})`,
    `kills          ${report.kills} × SIGKILL (${report.killsMidProcessing} mid-processing), ` +
      `${report.restarts} restarts, state directory deleted before run ` +
      `${report.wipedRun ?? '-'}, ${report.unexpectedExits.length} crashes`,
    ...(report.brokerFaults.length === 0
      ? []
      : [`broker faults  ${brokerFaultsLine(report.brokerFaults)}`]),
    `restores       ${formatRestore(report.restores)}`,
    `full restore   ${report.fullRestore === undefined ? '-' : formatRestore(report.fullRestore)}`,
    ...report.restoreRuns.map(
      ({ run, summary }) =>
        `  run ${String(run).padEnd(11)} ${formatRestore(summary)}${run === report.wipedRun ? ' (full restore)' : ''}`,
    ),
    `timing         produced in ${report.produceSeconds.toFixed(1)} s, last run caught up in ` +
      `${report.catchUpSeconds.toFixed(1)} s, verified in ${report.verify.readSeconds.toFixed(1)} s`,
    ...formatVerifyReport(report.verify),
    `verdict        ${
      report.failures.length === 0
        ? `PASS (${options.guarantee})`
        : `FAIL (${options.guarantee}): ${report.failures.join('; ')}`
    }`,
  ];
}
