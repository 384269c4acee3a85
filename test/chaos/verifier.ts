/**
 * The verifier of the kill -9 harness: reads the chaos job's input and its four outputs with
 * isolation level read_committed, recomputes every expected output from the input record by record
 * (chaosModel.ts), and asks the transaction coordinators whether the job left a transaction open.
 */
import type { Kafka } from 'kafkajs';

import { avroSerde, type ConnectionConfig } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import {
  ChaosExpectation,
  type ChaosGuarantee,
  LateOutputCheck,
  UserOutputCheck,
  problemKinds,
  TableOutputCheck,
  WindowOutputCheck,
  type OutputTally,
} from './chaosModel.js';
import { readCommitted, type BlockedPartition, type ReadRecord } from './committedReader.js';
import { chaosWatchEventSchema } from './generated/chaosWatchEvent.js';
import { applicationTransactions, type TransactionsReport } from './openTransactions.js';

/** The processing guarantee the job ran with; it decides what the verifier demands. */
export type { ChaosGuarantee } from './chaosModel.js';

/** The job's input and output topics. */
export interface ChaosTopics {
  readonly input: string;
  readonly videoOutput: string;
  readonly userOutput: string;
  readonly lateOutput: string;
  /** Each user's latest row (or a tombstone), written by the job and read back as a table. */
  readonly rows: string;
  /** The table re-aggregation: users per category. */
  readonly categoryOutput: string;
}

export interface VerifyOptions {
  readonly kafka: Kafka;
  readonly connection: ConnectionConfig;
  readonly topics: ChaosTopics;
  readonly applicationId: string;
  readonly guarantee: ChaosGuarantee;
  readonly log?: (line: string) => void;
}

export interface VerifyReport {
  readonly guarantee: ChaosGuarantee;
  readonly input: {
    readonly records: number;
    readonly users: number;
    readonly videos: number;
    readonly windows: number;
    /** Users whose input is not seq 1..n in partition order (the verifier copes; reported). */
    readonly seqViolations: number;
    /** Input records whose key is not their value's userId. */
    readonly keyMismatches: number;
  };
  readonly user: OutputTally;
  readonly video: OutputTally;
  readonly late: OutputTally;
  /** The table re-aggregation's output, over `groups` categories. */
  readonly category: OutputTally & { readonly groups: number };
  /** Output partitions read_committed could not read to the end: an open transaction. */
  readonly blocked: readonly (BlockedPartition & { readonly topic: string })[];
  readonly transactions: TransactionsReport;
  readonly readSeconds: number;
  /** Why the run fails its guarantee; empty when it passes. */
  readonly failures: readonly string[];
}

const utf8 = new TextDecoder();

function text(bytes: Buffer | null): string {
  return bytes === null ? '' : utf8.decode(bytes);
}

/** Reads everything and holds it against the batch result; see {@link VerifyReport}. */
export async function verifyChaos(options: VerifyOptions): Promise<VerifyReport> {
  const { kafka, topics } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const expectation = new ChaosExpectation();
  const serde = avroSerde(chaosWatchEventSchema);
  serde.configure?.({
    schemas: new RegistrySchemaCatalog(createRegistryClient(options.connection.registry)),
  });
  let keyMismatches = 0;
  const input = await readCommitted({
    kafka,
    topic: topics.input,
    log,
    onBatch: async (records) => {
      await serde.prepareDeserialize?.(
        records.map((record) => record.value),
        { topic: topics.input, isKey: false },
      );
      for (const record of records) {
        const event = serde.deserialize(record.value, { topic: topics.input, isKey: false });
        if (text(record.key) !== event.userId) {
          keyMismatches++;
        }
        expectation.add(event);
      }
    },
  });
  log(
    `verifier: input ${expectation.records} records, ${expectation.userIds.length} users, ` +
      `${expectation.videoIds.length} videos, ${expectation.windows} windows`,
  );

  const blocked: (BlockedPartition & { topic: string })[] = input.blocked.map((b) => ({
    topic: topics.input,
    ...b,
  }));
  const readOutput = async (
    topic: string,
    observe: (key: string, value: string) => void,
  ): Promise<void> => {
    const result = await readCommitted({
      kafka,
      topic,
      log,
      onBatch: (records: readonly ReadRecord[]) => {
        for (const record of records) {
          observe(text(record.key), text(record.value));
        }
      },
    });
    blocked.push(...result.blocked.map((b) => ({ topic, ...b })));
    log(`verifier: ${topic}: ${result.records} records in ${result.seconds.toFixed(1)} s`);
  };
  const late = new LateOutputCheck(expectation);
  await readOutput(topics.lateOutput, (key, value) => late.observe(key, value));
  const video = new WindowOutputCheck(expectation);
  await readOutput(topics.videoOutput, (key, value) => video.observe(key, value));
  const user = new UserOutputCheck(expectation);
  await readOutput(topics.userOutput, (key, value) => user.observe(key, value));
  const category = new TableOutputCheck(expectation);
  await readOutput(topics.categoryOutput, (key, value) => category.observe(key, value));
  const transactions = await applicationTransactions(options.connection, options.applicationId);

  const report = {
    guarantee: options.guarantee,
    input: {
      records: expectation.records,
      users: expectation.userIds.length,
      videos: expectation.videoIds.length,
      windows: expectation.windows,
      seqViolations: expectation.inputSeqViolations,
      keyMismatches,
    },
    user: user.finish(),
    video: video.finish(late.latePerWindow, options.guarantee),
    late: late.finish(),
    category: { ...category.finish(), groups: expectation.groupIds.length },
    blocked,
    transactions,
    readSeconds: (performance.now() - started) / 1000,
  };
  return { ...report, failures: failuresOf(report) };
}

/**
 * What fails the run. Exactly-once: any duplicate, loss, wrong value or reordering in any output,
 * any output partition held by an open transaction, any open transaction. At-least-once allows
 * duplicates (and the replayed values and reordering that come with them) but nothing lost, and
 * the final values must converge to the batch result.
 */
function failuresOf(report: Omit<VerifyReport, 'failures'>): string[] {
  const failures: string[] = [];
  const exactlyOnce = report.guarantee === 'exactly-once';
  const outputs = [
    ['user output', report.user],
    ['video output', report.video],
    ['late output', report.late],
    ['table re-aggregation', report.category],
  ] as const;
  for (const [name, tally] of outputs) {
    const problems: [string, number, boolean][] = [
      ['lost', tally.lost, true],
      ['not converged', tally.notConverged, true],
      ['duplicates', tally.duplicates, exactlyOnce],
      ['wrong', tally.wrong, exactlyOnce || name === 'late output'],
      ['out of order', tally.outOfOrder, exactlyOnce],
    ];
    for (const [what, count, fails] of problems) {
      if (fails && count > 0) {
        failures.push(`${name}: ${count} ${what}`);
      }
    }
  }
  if (report.input.keyMismatches > 0) {
    failures.push(`input: ${report.input.keyMismatches} records keyed by another user`);
  }
  for (const b of report.blocked) {
    failures.push(
      `${b.topic}[${b.partition}]: read_committed stopped at ${b.reachedOffset} of ` +
        `${b.highWatermark} (an open transaction)`,
    );
  }
  for (const t of report.transactions.open) {
    failures.push(`transaction ${t.transactionalId} is ${t.state}`);
  }
  return failures;
}

/** The report as the lines `run.ts` prints. */
export function formatVerifyReport(report: VerifyReport): string[] {
  const tally = (tally: OutputTally, extra = ''): string =>
    `${tally.records} records${extra}: ${tally.duplicates} duplicates, ${tally.lost} lost, ` +
    `${tally.wrong} wrong, ${tally.outOfOrder} out of order, ${tally.notConverged} not converged`;
  const states = new Map<string, number>();
  for (const t of report.transactions.transactions) {
    states.set(t.state, (states.get(t.state) ?? 0) + 1);
  }
  const lines = [
    `input          ${report.input.records} events, ${report.input.users} users, ` +
      `${report.input.videos} videos` +
      (report.input.seqViolations > 0
        ? ` (${report.input.seqViolations} users not in seq order in the topic)`
        : ''),
    `user output    ${tally(report.user)}`,
    `video output   ${tally(report.video, ` over ${report.input.windows} windows`)}` +
      (report.guarantee === 'at-least-once'
        ? `; ${report.video.lateReplayWindows} windows hold records the late output also names (counted, then replayed after close)`
        : ''),
    `late output    ${report.late.records} records: ${report.late.duplicates} duplicates, ` +
      `${report.late.wrong} wrong`,
    `table re-aggregation: ${report.category.groups} groups, ${report.category.wrong} wrong, ` +
      `${report.category.duplicates} duplicates, ${report.category.lost} lost, ` +
      `${report.category.outOfOrder} out of order, ${report.category.notConverged} not converged ` +
      `(${report.category.records} records)`,
    `transactions   ${report.transactions.open.length} open of ` +
      `${report.transactions.transactions.length} transactional ids ` +
      `(kafka-transactions list: ${[...states].map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}); ` +
      `${report.blocked.length} partitions held below their high watermark`,
  ];
  for (const [name, t] of [
    ['user', report.user],
    ['video', report.video],
    ['late', report.late],
    ['category', report.category],
  ] as const) {
    for (const kind of problemKinds) {
      for (const example of t.examples[kind]) {
        lines.push(`  ${name}: ${example}`);
      }
    }
  }
  return lines;
}
