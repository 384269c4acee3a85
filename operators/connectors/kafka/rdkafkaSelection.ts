import type { ConnectionConfig } from '../../config/connectionConfig.js';
import { ConfigError } from '../../errors.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';
import { RdkafkaStreamClient } from './rdkafkaStreamClient.js';
import type { StreamClient } from './streamClient.js';

/**
 * Which Kafka client a job runs on: `kafkajs` (the default) or `rdkafka` (librdkafka through
 * the optional `@confluentinc/kafka-javascript`; docs/kafkaClient.md).
 *
 * @category Connectors
 */
export type KafkaClientChoice = 'kafkajs' | 'rdkafka';

const choices: readonly KafkaClientChoice[] = ['kafkajs', 'rdkafka'];

/** The choice: the option when given, else `REELSTREAM_KAFKA_CLIENT`, else kafkajs. */
export function kafkaClientChoice(
  option?: KafkaClientChoice,
  env: NodeJS.ProcessEnv = process.env,
): KafkaClientChoice {
  if (option !== undefined) {
    return option;
  }
  const named = env['REELSTREAM_KAFKA_CLIENT']?.trim().toLowerCase();
  if (named === undefined || named === '') {
    return 'kafkajs';
  }
  if (!(choices as readonly string[]).includes(named)) {
    throw new ConfigError('REELSTREAM_KAFKA_CLIENT', `is "${named}"; expected kafkajs or rdkafka`);
  }
  return named as KafkaClientChoice;
}

/**
 * The {@link StreamClient} for a job: kafkajs, or librdkafka's when chosen (which throws,
 * saying how to build it, when the optional module is not there).
 */
export function createStreamClient(
  connection: ConnectionConfig,
  options: { readonly clientId: string; readonly client?: KafkaClientChoice },
): StreamClient {
  return kafkaClientChoice(options.client) === 'rdkafka'
    ? new RdkafkaStreamClient(connection, { clientId: options.clientId })
    : new KafkajsStreamClient(createKafkaJs(connection, { clientId: options.clientId }));
}
