/**
 * One kill -9 run: input, the job under SIGKILL, the wait for it to catch up, a graceful stop,
 * and the verifier. `run.ts` (the long form) and `exactlyOnce.integration.test.ts` (the short
 * form) both call {@link runChaos}.
 */
import { rmSync } from 'node:fs';

import type { Admin } from 'kafkajs';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { waitForTopicLeaders } from '../support/topicLeaders.js';
import {
  ChaosDriver,
  formatMb,
  stateDirOf,
  summarize,
  type RestoreSummary,
} from './chaosDriver.js';
import { defaultBaseTimeMs, produceChaosInput } from './generator.js';
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
  /** The run (1 = first start) whose state directory was deleted before it started. */
  readonly wipedRun: number | undefined;
  /** Exits nobody asked for (crashes), with their exit code or signal. */
  readonly unexpectedExits: readonly string[];
  readonly restores: RestoreSummary;
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
  const admin = kafka.admin();
  await admin.connect();
  let passed = false;
  try {
    await createTopics(admin, options);
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
    const report: ChaosRunReport = {
      kills: chaos.kills,
      killsMidProcessing: chaos.killsMidProcessing,
      restarts: chaos.runs - 1,
      wipedRun: chaos.wipedRun,
      unexpectedExits: chaos.unexpectedExits,
      restores: summarize(chaos.restores.flat()),
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
      await cleanUp(admin, options);
    }
    await admin.disconnect();
  }
}

async function createTopics(admin: Admin, options: ChaosRunOptions): Promise<void> {
  const { topics } = options;
  const names = [topics.input, topics.videoOutput, topics.userOutput, topics.lateOutput];
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
  const internal = (await admin.listTopics()).filter(
    (topic) => topic.startsWith(`${applicationId}-`) || topic.startsWith(`${applicationId}.`),
  );
  await admin
    .deleteTopics({
      topics: [topics.input, topics.videoOutput, topics.userOutput, topics.lateOutput, ...internal],
    })
    .catch(() => undefined);
  await admin.deleteGroups([applicationId]).catch(() => undefined);
  rmSync(stateDirOf(options), { recursive: true, force: true });
}

/** MB/s with three significant digits: restores of small stores run well below 1 MB/s. */
function rate(summary: RestoreSummary): string {
  return summary.ms > 0
    ? `${(summary.bytes / 1_048_576 / (summary.ms / 1000)).toPrecision(3)} MB/s`
    : 'n/a';
}

/** The summary `run.ts` prints at the end. */
export function formatChaosReport(report: ChaosRunReport, options: ChaosRunOptions): string[] {
  const restore = (s: RestoreSummary): string =>
    `${s.stores} stores, ${s.records} records, ${formatMb(s.bytes)} in ${(s.ms / 1000).toFixed(1)} s ` +
    `(summed over stores) = ${rate(s)}`;
  return [
    `chaos summary (${options.guarantee}, ${options.events} events, seed ${options.seed})`,
    `kills          ${report.kills} × SIGKILL (${report.killsMidProcessing} mid-processing), ` +
      `${report.restarts} restarts, state directory deleted before run ` +
      `${report.wipedRun ?? '-'}, ${report.unexpectedExits.length} crashes`,
    `restores       ${restore(report.restores)}`,
    `full restore   ${report.fullRestore === undefined ? '-' : restore(report.fullRestore)}`,
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
