/**
 * Produces the input of bench/stateless once: registers the two schemas, creates the input topic
 * (6 partitions) and the engines' output topics, and writes records 0..N-1 of the generator as
 * Confluent wire-format Avro (~200 bytes each). A topic that already holds N records is reused.
 *
 *   node --import tsx bench/stateless/produceInput.ts --records 1000000 [--force]
 *
 * Connection settings come from the usual REELSTREAM_BROKERS / REELSTREAM_REGISTRY_URL.
 */
import { Command } from 'commander';

import { connectionConfigFromEnv } from '../../operators/config/connectionConfig.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { positiveInt } from '../support/flags.js';
import { prepareBench } from './input.js';

interface ProduceFlags {
  readonly records: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly force: boolean;
}

async function main(): Promise<void> {
  const flags = new Command('produceInput')
    .description('produce the bench/stateless input topic once')
    .option('--records <n>', 'input records', positiveInt, 1_000_000)
    .option('--batch <n>', 'records per produce call', positiveInt, 4_000)
    .option('--concurrency <n>', 'produce calls in flight', positiveInt, 4)
    .option('--force', 'produce again even when the topic holds N records', false)
    .parse()
    .opts<ProduceFlags>();
  const connection = connectionConfigFromEnv();
  const kafka = createKafkaJs(connection, { clientId: 'bench-produce-input' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const prepared = await prepareBench({
      kafka,
      admin,
      registry: createRegistryClient(connection.registry),
      records: flags.records,
      batchRecords: flags.batch,
      concurrency: flags.concurrency,
      force: flags.force,
    });
    console.log(
      `input: ${prepared.inputTopic}, schema ids ${prepared.inputSchemaId} -> ${prepared.outputSchemaId}, ` +
        `average value ${prepared.avgValueBytes.toFixed(1)} bytes (wire format, header included)` +
        (prepared.produceSeconds === undefined
          ? ''
          : `, produced in ${prepared.produceSeconds.toFixed(1)} s ` +
            `(${Math.round(flags.records / prepared.produceSeconds)} records/s)`),
    );
  } finally {
    await admin.disconnect();
  }
}

await main();
