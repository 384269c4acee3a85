/**
 * bench/stateful: per-video hopping-window counts (5 min / 1 min, RocksDB state) on ~200-byte
 * Avro records, end to end through the broker, in Kafka Streams, Quix Streams and reelstream,
 * each under exactly-once and at-least-once, on the same input, in one run.
 *
 *   node --import tsx bench/stateful/run.ts --records 1000000
 *
 * See bench/README.md for what it measures and the settings of each engine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Admin, Kafka } from 'kafkajs';

import { connectionConfigFromEnv } from '../../operators/config/connectionConfig.js';
import type { ConnectionConfig } from '../../operators/config/connectionConfig.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { inputSchemaFile } from '../stateless/input.js';
import { diskUsageBytes } from '../support/diskUsage.js';
import type { EngineResult } from '../support/engine.js';
import { EngineUnavailableError } from '../support/engine.js';
import type { BenchFlags } from '../support/flags.js';
import { benchCommand, positiveInt } from '../support/flags.js';
import { formatDetails, formatRate, loadLine, machineLine, printTable } from '../support/report.js';
import { deleteRunGroups, deleteRunTopics } from '../support/topics.js';
import type { Guarantee, StatefulBenchJob, StatefulEngine } from './engine.js';
import { guaranteeOf, peerOf, statefulEngines, statefulEngineSettings } from './engine.js';
import type { StatefulInput } from './input.js';
import { prepareInput, recreateOutputTopic } from './input.js';
import { buildKafkaStreamsApp, runKafkaStreams } from './kafkaStreamsSide.js';
import type { OutputCheck } from './outputCheck.js';
import { checkOutput, checkPassed, describeCheck } from './outputCheck.js';
import { ensureQuixVenv, runQuix } from './quixSide.js';
import { runReelstream } from './reelstreamSide.js';
import type { ExpectedCounts } from './topology.js';
import { benchWindows, expectedCounts } from './topology.js';

interface RunFlags extends BenchFlags<StatefulEngine> {
  readonly commitIntervalMs: number;
}

type Runner = (job: StatefulBenchJob) => Promise<EngineResult>;

const runners: Readonly<Record<StatefulEngine, Runner>> = {
  'kafka-streams-eos': runKafkaStreams,
  'kafka-streams-alos': runKafkaStreams,
  'quix-eos': runQuix,
  'quix-alos': runQuix,
  'reelstream-eos': runReelstream,
  'reelstream-alos': runReelstream,
  'reelstream-rdkafka-eos': runReelstream,
  'reelstream-rdkafka-alos': runReelstream,
};

/** One row of the report: an engine's run, or why it did not run or failed. */
interface Row {
  readonly engine: StatefulEngine;
  readonly guarantee: Guarantee;
  readonly result?: EngineResult;
  /** du of the engine's state directory once it had closed, in bytes. */
  readonly stateBytes?: number;
  readonly check?: OutputCheck;
  readonly unavailable?: string;
  readonly failed?: string;
}

/** What every run of the session shares. */
interface Session {
  readonly flags: RunFlags;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly connection: ConnectionConfig;
  readonly input: StatefulInput;
  readonly expected: ExpectedCounts;
}

const log = (line: string): void => console.log(line);

async function main(): Promise<void> {
  const flags = benchCommand({
    name: 'bench-stateful',
    description: 'hopping-window counts: Kafka Streams vs Quix Streams vs reelstream, EOS and ALOS',
    engines: statefulEngines,
  })
    .option('--commit-interval-ms <n>', 'commit interval of every engine', positiveInt, 1_000)
    .parse()
    .opts<RunFlags>();

  if (flags.engines.some((engine) => engine.startsWith('kafka-streams'))) {
    buildKafkaStreamsApp(log);
  }
  if (flags.engines.some((engine) => engine.startsWith('quix'))) {
    // Installs once; a failure is reported on the quix rows (runQuix rethrows it).
    await ensureQuixVenv(log).catch((error: unknown) => log(`quix: ${String(error)}`));
  }
  const connection = connectionConfigFromEnv();
  const kafka = createKafkaJs(connection, { clientId: 'bench-stateful' });
  const admin = kafka.admin();
  await admin.connect();
  const rows: Row[] = [];
  let session: Session | undefined;
  try {
    const input = await prepareInput({
      kafka,
      admin,
      registry: createRegistryClient(connection.registry),
      records: flags.records,
      force: flags.forceProduce,
      log,
    });
    const expected = expectedCounts(flags.records);
    const windows = expected.counts.reduce((sum, count) => sum + (count > 0 ? 1 : 0), 0);
    log(
      `input: ${flags.records} records in ${input.inputTopic}` +
        (input.avgValueBytes === undefined
          ? ''
          : `, ${input.avgValueBytes.toFixed(1)} bytes per value`) +
        `; ${windows} windows, event time up to ${new Date(expected.maxEventTime).toISOString()}`,
    );
    session = { flags, kafka, admin, connection, input, expected };
    for (let round = 0; round < flags.repeat; round++) {
      for (const engine of flags.engines) {
        rows.push(await runEngine(session, engine));
      }
    }
  } finally {
    await admin.disconnect();
  }
  printReport(rows);
  if (flags.json !== undefined) {
    const settings = statefulEngineSettings({
      guarantee: 'at_least_once',
      commitIntervalMs: flags.commitIntervalMs,
    });
    const json = {
      records: flags.records,
      inputTopic: session?.input.inputTopic,
      windows: benchWindows,
      settings: { ...settings, processingGuarantee: 'per engine' },
      rows: rows.map((row) => ({ ...row, ratios: ratiosOf(row, rows) })),
    };
    writeFileSync(flags.json, JSON.stringify(json, null, 2) + '\n');
  }
  const failed = rows.some(
    (row) => row.failed !== undefined || (row.check !== undefined && !checkPassed(row.check)),
  );
  process.exitCode = failed ? 1 : 0;
}

/** One run of one engine: fresh output topic and state dir, measured, checked, cleaned up. */
async function runEngine(session: Session, engine: StatefulEngine): Promise<Row> {
  const { flags, admin } = session;
  const guarantee = guaranteeOf(engine);
  const runId = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const stateDir = mkdtempSync(join(tmpdir(), `reelstream-bench-${engine}-`));
  const job: StatefulBenchJob = {
    engine,
    runId,
    records: flags.records,
    inputTopic: session?.input.inputTopic,
    outputTopic: await recreateOutputTopic(admin, engine),
    inputSchemaId: session.input.inputSchemaId,
    inputSchemaFile,
    stateDir,
    windows: benchWindows,
    connection: session.connection,
    settings: statefulEngineSettings({ guarantee, commitIntervalMs: flags.commitIntervalMs }),
    timeoutSeconds: flags.timeoutS,
  };
  log(`${engine}: running over ${flags.records} records ` + `(${loadLine()})…`);
  try {
    const result = await runners[engine](job);
    const stateBytes = diskUsageBytes(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
    log(`${engine}: ${formatRate(result.records / result.processingSeconds)} records/s; checking…`);
    const checkStarted = performance.now();
    const check = await checkOutput(session, job.outputTopic, session.expected);
    log(
      `${engine}: ${check.outputRecords} output records, ${describeCheck(check)} ` +
        `(read in ${((performance.now() - checkStarted) / 1000).toFixed(1)} s)`,
    );
    return { engine, guarantee, result, stateBytes, check };
  } catch (error) {
    if (error instanceof EngineUnavailableError) {
      log(`${engine}: skipped: ${error.message}`);
      return { engine, guarantee, unavailable: error.message };
    }
    const message = error instanceof Error ? error.message : String(error);
    log(`${engine}: FAILED: ${message}`);
    return { engine, guarantee, failed: message.split('\n')[0] ?? message };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    await deleteRunGroups(admin, runId);
    await deleteRunTopics(admin, runId);
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function printReport(rows: readonly Row[]): void {
  const header = [
    'engine',
    'records',
    'seconds',
    'records/s',
    'records/CPU-s',
    'e2e seconds',
    'peak RSS MiB',
    'state MiB',
    'output records',
    'output check',
  ];
  const table = rows.map((row) => {
    const { result, check } = row;
    if (result === undefined) {
      const why = row.failed === undefined ? 'n/a' : 'FAILED';
      return [row.engine, ...header.slice(1, -1).map(() => 'n/a'), why];
    }
    return [
      row.engine,
      String(result.records),
      result.processingSeconds.toFixed(2),
      formatRate(result.records / result.processingSeconds),
      result.cpuSeconds === undefined ? 'n/a' : formatRate(result.records / result.cpuSeconds),
      result.endToEndSeconds.toFixed(2),
      result.peakRssKb === undefined ? 'n/a' : (result.peakRssKb / 1024).toFixed(0),
      row.stateBytes === undefined ? 'n/a' : mib(row.stateBytes),
      check === undefined ? 'n/a' : String(check.outputRecords),
      check === undefined ? 'n/a' : describeCheck(check),
    ];
  });
  console.log('');
  printTable(header, table);
  for (const row of rows) {
    if (row.result?.details !== undefined) {
      console.log(`${row.engine} (${row.result.engine}): ${formatDetails(row.result.details)}`);
    }
    if (row.unavailable !== undefined || row.failed !== undefined) {
      console.log(`${row.engine}: ${row.unavailable ?? `FAILED: ${row.failed ?? ''}`}`);
    }
  }
  console.log('');
  console.log('ratios to Kafka Streams of the same guarantee (best run of each by records/s):');
  const ratioRows = bestRows(rows).map((row) => {
    const ratios = ratiosOf(row, rows);
    const cell = (value: number | undefined): string =>
      value === undefined ? 'n/a' : value.toFixed(2);
    return [
      row.engine,
      peerOf(row.engine),
      cell(ratios?.recordsPerSecond),
      cell(ratios?.recordsPerCpuSecond),
      cell(ratios?.peakRss),
      cell(ratios?.stateSize),
    ];
  });
  printTable(['engine', 'vs', 'records/s', 'records/CPU-s', 'peak RSS', 'state size'], ratioRows);
  console.log(machineLine('the engine'));
}

const rate = (row: Row): number =>
  row.result === undefined ? 0 : row.result.records / row.result.processingSeconds;

/** Each engine's best run (by records/s), or its first row when none ran. */
function bestRows(rows: readonly Row[]): Row[] {
  const best = new Map<StatefulEngine, Row>();
  for (const row of rows) {
    const held = best.get(row.engine);
    if (held === undefined || rate(row) > rate(held)) {
      best.set(row.engine, row);
    }
  }
  return [...best.values()];
}

interface Ratios {
  readonly recordsPerSecond: number | undefined;
  readonly recordsPerCpuSecond: number | undefined;
  readonly peakRss: number | undefined;
  readonly stateSize: number | undefined;
}

/** A row's figures over those of the best run of its Kafka Streams peer (same guarantee). */
function ratiosOf(row: Row, rows: readonly Row[]): Ratios | undefined {
  const peer = bestRows(rows).find((candidate) => candidate.engine === peerOf(row.engine));
  const mine = row.result;
  const theirs = peer?.result;
  if (mine === undefined || theirs === undefined || peer === undefined) {
    return undefined;
  }
  const over = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined || b === 0 ? undefined : a / b;
  return {
    recordsPerSecond: over(rate(row), rate(peer)),
    recordsPerCpuSecond: over(
      mine.cpuSeconds === undefined ? undefined : mine.records / mine.cpuSeconds,
      theirs.cpuSeconds === undefined ? undefined : theirs.records / theirs.cpuSeconds,
    ),
    peakRss: over(mine.peakRssKb, theirs.peakRssKb),
    stateSize: over(row.stateBytes, peer.stateBytes),
  };
}

await main();
