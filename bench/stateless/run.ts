/**
 * bench/stateless: a stateless map + filter + selectKey pipeline on ~200-byte Avro records, end
 * to end through the broker, in Kafka Streams and in reelstream, on the same input, in one run.
 *
 *   node --import tsx bench/stateless/run.ts --records 1000000
 *
 * See bench/README.md for what it measures and the settings of each side.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { connectionConfigFromEnv } from '../../operators/config/connectionConfig.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import type { BenchFlags } from '../support/flags.js';
import { benchCommand } from '../support/flags.js';
import { formatDetails, formatRate, loadLine, machineLine, printTable } from '../support/report.js';
import { deleteRunGroups, topicEndOffset } from '../support/topics.js';
import type { EngineResult, StatelessBenchJob } from './engine.js';
import { engineSettings, EngineUnavailableError } from './engine.js';
import type { BenchEngine } from './input.js';
import { benchEngines, inputSchemaFile, outputSchemaFile, prepareBench } from './input.js';
import { buildKafkaStreamsApp, runKafkaStreams } from './kafkaStreamsSide.js';
import { runReelstream } from './reelstreamSide.js';
import { expectedKept } from './topology.js';

/** The bench's engines, and reelstream on librdkafka (docs/kafkaClient.md). */
const engines = [...benchEngines, 'reelstream-rdkafka'] as const;
type Engine = (typeof engines)[number];
type RunFlags = BenchFlags<Engine>;

const runners: Readonly<Record<Engine, (job: StatelessBenchJob) => Promise<EngineResult>>> = {
  'kafka-streams': runKafkaStreams,
  reelstream: runReelstream,
  'reelstream-rdkafka': (job) => runReelstream({ ...job, kafkaClient: 'rdkafka' }),
};

/** The output topic of each engine: the two reelstream clients share one (runs are serial). */
function outputTopicOf(topics: Readonly<Record<BenchEngine, string>>, engine: Engine): string {
  return engine === 'reelstream-rdkafka' ? topics.reelstream : topics[engine];
}

/** One row of the report: an engine's run, or why it did not run. */
interface Row {
  readonly engine: Engine;
  readonly result?: EngineResult;
  readonly unavailable?: string;
  readonly outputRecords?: number;
  readonly expectedOutput: number;
}

async function main(): Promise<void> {
  const flags = benchCommand({
    name: 'bench-stateless',
    description: 'stateless map + filter + selectKey: Kafka Streams vs reelstream',
    engines,
  })
    .parse()
    .opts<RunFlags>();
  const log = (line: string): void => console.log(line);

  if (flags.engines.includes('kafka-streams')) {
    buildKafkaStreamsApp(log);
  }
  const connection = connectionConfigFromEnv();
  const kafka = createKafkaJs(connection, { clientId: 'bench-stateless' });
  const admin = kafka.admin();
  await admin.connect();
  const rows: Row[] = [];
  try {
    const prepared = await prepareBench({
      kafka,
      admin,
      registry: createRegistryClient(connection.registry),
      records: flags.records,
      force: flags.forceProduce,
      log,
    });
    const expectedOutput = expectedKept(flags.records);
    log(
      `input: ${flags.records} records in ${prepared.inputTopic}, ` +
        `${prepared.avgValueBytes.toFixed(1)} bytes per value; ` +
        `expected output ${expectedOutput} (${((100 * expectedOutput) / flags.records).toFixed(2)}% kept)`,
    );
    for (let round = 0; round < flags.repeat; round++) {
      for (const engine of flags.engines) {
        const outputTopic = outputTopicOf(prepared.outputTopics, engine);
        const job: StatelessBenchJob = {
          runId: `${Date.now()}-${randomBytes(3).toString('hex')}`,
          records: flags.records,
          inputTopic: prepared.inputTopic,
          outputTopic,
          inputSchemaId: prepared.inputSchemaId,
          outputSchemaId: prepared.outputSchemaId,
          inputSchemaFile,
          outputSchemaFile,
          connection,
          settings: engineSettings,
          timeoutSeconds: flags.timeoutS,
        };
        log(`${engine}: running over ${flags.records} records ` + `(${loadLine()})…`);
        const before = await topicEndOffset(admin, outputTopic);
        try {
          const result = await runners[engine](job);
          const outputRecords = (await topicEndOffset(admin, outputTopic)) - before;
          rows.push({ engine, result, outputRecords, expectedOutput });
          log(`${engine}: ${formatRate(result.records / result.processingSeconds)} records/s`);
        } catch (error) {
          if (!(error instanceof EngineUnavailableError)) {
            throw error;
          }
          log(`${engine}: skipped: ${error.message}`);
          rows.push({ engine, unavailable: error.message, expectedOutput });
        } finally {
          await deleteRunGroups(admin, job.runId);
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  printReport(rows);
  if (flags.json !== undefined) {
    writeFileSync(
      flags.json,
      JSON.stringify({ records: flags.records, settings: engineSettings, rows }, null, 2) + '\n',
    );
  }
  const failed = rows.some(
    (row) => row.result !== undefined && row.outputRecords !== row.expectedOutput,
  );
  process.exitCode = failed ? 1 : 0;
}

function printReport(rows: readonly Row[]): void {
  const header = [
    'engine',
    'records',
    'seconds',
    'records/s',
    'records/s/core',
    'records/CPU-s',
    'e2e seconds',
    'e2e records/s',
    'peak RSS MiB',
    'output check',
  ];
  const table = rows.map((row) => {
    const result = row.result;
    if (result === undefined) {
      return [row.engine, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
    }
    const rate = result.records / result.processingSeconds;
    return [
      result.engine,
      String(result.records),
      result.processingSeconds.toFixed(2),
      formatRate(rate),
      formatRate(rate / result.threads),
      result.cpuSeconds === undefined ? 'n/a' : formatRate(result.records / result.cpuSeconds),
      result.endToEndSeconds.toFixed(2),
      formatRate(result.records / result.endToEndSeconds),
      result.peakRssKb === undefined ? 'n/a' : (result.peakRssKb / 1024).toFixed(0),
      outputCheck(row),
    ];
  });
  console.log('');
  printTable(header, table);
  for (const row of rows) {
    if (row.result?.details !== undefined) {
      console.log(`${row.result.engine}: ${formatDetails(row.result.details)}`);
    }
  }
  console.log(`ratio reelstream / Kafka Streams (records/s): ${ratio(rows, 'reelstream')}`);
  if (rows.some((row) => row.engine === 'reelstream-rdkafka')) {
    console.log(
      `ratio reelstream-rdkafka / Kafka Streams (records/s): ${ratio(rows, 'reelstream-rdkafka')}`,
    );
  }
  console.log(machineLine('the JVM'));
}

function outputCheck(row: Row): string {
  if (row.outputRecords === undefined) {
    return 'n/a';
  }
  const difference = row.outputRecords - row.expectedOutput;
  if (difference === 0) {
    return `ok (${row.outputRecords})`;
  }
  return difference > 0
    ? `${row.outputRecords}: ${difference} duplicates`
    : `${row.outputRecords}: ${-difference} MISSING`;
}

/** Best records/s of each engine, a reelstream engine over Kafka Streams. */
function ratio(rows: readonly Row[], engine: Engine): string {
  const best = (of: Engine): number | undefined => {
    const rates = rows
      .filter((row) => row.engine === of)
      .flatMap((row) =>
        row.result === undefined ? [] : [row.result.records / row.result.processingSeconds],
      );
    return rates.length === 0 ? undefined : Math.max(...rates);
  };
  const reelstream = best(engine);
  const kafkaStreams = best('kafka-streams');
  return reelstream === undefined || kafkaStreams === undefined
    ? 'n/a'
    : (reelstream / kafkaStreams).toFixed(2);
}

await main();
