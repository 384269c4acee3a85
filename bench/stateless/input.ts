import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import avro from 'avsc';
import type { Admin, Kafka } from 'kafkajs';

import { ensureProducedTopic } from '../support/producedTopic.js';
import { ensureTopic } from '../support/topics.js';
import { benchEvent, generatorVersion } from './generator.js';

const here = dirname(fileURLToPath(import.meta.url));

export const inputSchemaFile = join(here, 'benchEvent.avsc');
export const outputSchemaFile = join(here, 'benchEventEnriched.avsc');

/** Partitions of the input and output topics. */
export const benchPartitions = 6;

/** The engines' output topics: one per engine, reused across runs (runs count the growth). */
export function outputTopicOf(engine: string): string {
  return `bench.stateless.output.${engine}`;
}

/** Output topics keep an hour of data: the check counts end offsets, not retained records. */
export const outputTopicConfigs = { 'retention.ms': String(3_600_000) } as const;

/**
 * The input topic for N records. Its name carries the generator version and the input schema id,
 * so a topic written by another generator or schema is never mistaken for this one.
 */
export function inputTopicOf(options: { records: number; inputSchemaId: number }): string {
  return `bench.stateless.input.g${generatorVersion}.s${options.inputSchemaId}.n${options.records}`;
}

export interface BenchSchemaIds {
  readonly inputSchemaId: number;
  readonly outputSchemaId: number;
}

/**
 * Registers both schemas (idempotent: the same schema keeps its id). Subjects are named after
 * the records rather than the topics, because the input topic's name depends on N.
 */
export async function registerBenchSchemas(
  registry: SchemaRegistryClient,
): Promise<BenchSchemaIds> {
  const register = (file: string, subject: string): Promise<number> =>
    registry.register(subject, { schemaType: 'AVRO', schema: readFileSync(file, 'utf8') });
  return {
    inputSchemaId: await register(inputSchemaFile, 'dev.reelstream.bench.BenchWatchEvent-value'),
    outputSchemaId: await register(
      outputSchemaFile,
      'dev.reelstream.bench.BenchWatchEventEnriched-value',
    ),
  };
}

export interface EnsureInputOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly records: number;
  readonly inputSchemaId: number;
  /** Records per produce call (default 4,000). */
  readonly batchRecords?: number;
  /** Produce calls in flight at once (default 4). */
  readonly concurrency?: number;
  /** Produce again even when the topic already holds N records. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

export interface InputReport {
  readonly inputTopic: string;
  /** False when a topic with exactly N records was already there and was reused. */
  readonly produced: boolean;
  readonly produceSeconds?: number;
  /** Average value size in Confluent wire format (5-byte header included), in bytes. */
  readonly avgValueBytes: number;
}

/**
 * Makes sure the input topic holds exactly records 0..N-1 of the generator: reuses it when it
 * holds N records, recreates and produces it otherwise.
 */
export async function ensureInput(options: EnsureInputOptions): Promise<InputReport> {
  const inputTopic = inputTopicOf(options);
  const encode = wireEncoder(inputSchemaFile, options.inputSchemaId);
  const report = await ensureProducedTopic({
    ...options,
    topic: inputTopic,
    partitions: benchPartitions,
    message: (index) => {
      const event = benchEvent(index);
      return { key: event.userId, value: encode(event) };
    },
  });
  return report.produced
    ? { inputTopic, ...report }
    : { inputTopic, produced: false, avgValueBytes: sampleValueBytes(options.records) };
}

/** Encodes generator events as Confluent wire format: magic 0, 4-byte schema id, Avro binary. */
export function wireEncoder(schemaFile: string, schemaId: number): (value: unknown) => Buffer {
  const type = avro.Type.forSchema(JSON.parse(readFileSync(schemaFile, 'utf8')) as avro.Schema);
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeUInt32BE(schemaId, 1);
  return (value) => Buffer.concat([header, type.toBuffer(value)]);
}

/** Average wire-format value size over the first (up to) 10,000 records, without producing. */
export function sampleValueBytes(records: number): number {
  const encode = wireEncoder(inputSchemaFile, 0);
  const sample = Math.min(records, 10_000);
  let bytes = 0;
  for (let index = 0; index < sample; index++) {
    bytes += encode(benchEvent(index)).length;
  }
  return sample === 0 ? 0 : bytes / sample;
}

/** The engines the bench knows; each gets its own output topic. */
export const benchEngines = ['kafka-streams', 'reelstream'] as const;
export type BenchEngine = (typeof benchEngines)[number];

export interface PreparedBench extends BenchSchemaIds, InputReport {
  readonly outputTopics: Readonly<Record<BenchEngine, string>>;
}

/** Registers the schemas, ensures the input topic holds N records and the output topics exist. */
export async function prepareBench(
  options: Omit<EnsureInputOptions, 'inputSchemaId'> & { registry: SchemaRegistryClient },
): Promise<PreparedBench> {
  const ids = await registerBenchSchemas(options.registry);
  const input = await ensureInput({ ...options, inputSchemaId: ids.inputSchemaId });
  const outputTopics = {
    'kafka-streams': outputTopicOf('kafka-streams'),
    reelstream: outputTopicOf('reelstream'),
  };
  for (const topic of Object.values(outputTopics)) {
    await ensureTopic(options.admin, {
      topic,
      partitions: benchPartitions,
      configs: outputTopicConfigs,
    });
  }
  return { ...ids, ...input, outputTopics };
}
