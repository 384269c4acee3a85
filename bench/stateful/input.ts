import type { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import type { Admin, Kafka } from 'kafkajs';

import { ensureProducedTopic } from '../support/producedTopic.js';
import { deleteTopic, ensureTopic } from '../support/topics.js';
import {
  benchPartitions,
  inputSchemaFile,
  registerBenchSchemas,
  wireEncoder,
} from '../stateless/input.js';
import { generatorVersion, statefulEvent } from './generator.js';

/**
 * Topics hold event-time stamped records (January 2026): no time-based retention, so a broker
 * with one never deletes them.
 */
const topicConfigs = { 'retention.ms': '-1' } as const;

/**
 * The input topic for N records. Its name carries the generator version and the input schema id,
 * so a topic written by another generator or schema is never mistaken for this one.
 */
export function inputTopicOf(options: { records: number; inputSchemaId: number }): string {
  return `bench.stateful.input.g${generatorVersion}.s${options.inputSchemaId}.n${options.records}`;
}

/** An engine's output topic: recreated empty before each of its runs. */
export function outputTopicOf(engine: string): string {
  return `bench.stateful.output.${engine}`;
}

export interface StatefulInput {
  readonly inputTopic: string;
  readonly inputSchemaId: number;
  /** False when a topic with exactly N records was already there and was reused. */
  readonly produced: boolean;
  readonly produceSeconds?: number;
  /** Average value size in Confluent wire format (5-byte header included), when produced. */
  readonly avgValueBytes?: number;
}

/**
 * Registers the BenchWatchEvent schema (bench/stateless's, idempotent) and makes sure the input
 * topic holds exactly records 0..N-1 of the generator: key videoId, value in Confluent wire
 * format, timestamp the event time.
 */
export async function prepareInput(options: {
  kafka: Kafka;
  admin: Admin;
  registry: SchemaRegistryClient;
  records: number;
  force: boolean;
  log: (line: string) => void;
}): Promise<StatefulInput> {
  const { inputSchemaId } = await registerBenchSchemas(options.registry);
  const inputTopic = inputTopicOf({ records: options.records, inputSchemaId });
  const encode = wireEncoder(inputSchemaFile, inputSchemaId);
  const report = await ensureProducedTopic({
    ...options,
    topic: inputTopic,
    partitions: benchPartitions,
    configs: topicConfigs,
    // One produce call in flight: concurrent calls may land out of order in a partition, which
    // would add their span of event time (~30 s a call) to the bounded out-of-orderness.
    concurrency: 1,
    message: (index) => {
      const event = statefulEvent(index);
      return { key: event.videoId, value: encode(event), timestamp: String(event.eventTime) };
    },
  });
  return { inputTopic, inputSchemaId, ...report };
}

/** Deletes and creates an engine's output topic, so its check reads only this run's records. */
export async function recreateOutputTopic(admin: Admin, engine: string): Promise<string> {
  const topic = outputTopicOf(engine);
  await deleteTopic(admin, topic);
  await ensureTopic(admin, { topic, partitions: benchPartitions, configs: topicConfigs });
  return topic;
}
