import { createRequire } from 'node:module';

import type { ConnectionConfig } from '../../config/connectionConfig.js';

/**
 * The few parts of `@confluentinc/kafka-javascript`'s native API (node-rdkafka's, over
 * librdkafka) that {@link RdkafkaStreamClient} uses, typed here so that the project builds,
 * lints and type-checks without the optional module (its types come with it only when npm
 * installed it, and its native part only when `deploy/local/setup/rdkafka.sh` built it).
 */
export interface RdkafkaModule {
  readonly librdkafkaVersion: string;
  readonly Producer: new (config: RdkafkaConfig) => RdkafkaProducer;
  readonly KafkaConsumer: new (
    config: RdkafkaConfig,
    topicConfig?: RdkafkaConfig,
  ) => RdkafkaConsumer;
  readonly AdminClient: { create(config: RdkafkaConfig): RdkafkaAdmin };
}

export type RdkafkaConfig = Record<string, string | number | boolean | RdkafkaCallback>;
// librdkafka's callbacks take several shapes; each use site narrows its own arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RdkafkaCallback = (...args: any[]) => void;

export interface RdkafkaError extends Error {
  readonly code: number;
  readonly isFatal?: boolean;
  readonly isRetriable?: boolean;
  readonly isTxnRequiresAbort?: boolean;
}

type Done = (error: RdkafkaError | null | undefined) => void;

export interface RdkafkaTopicPartitionOffset {
  topic: string;
  partition: number;
  offset?: number;
}

export interface RdkafkaMessage {
  readonly value: Buffer | null;
  readonly key?: Buffer | string | null;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp?: number;
  readonly headers?: readonly Record<string, Buffer | string>[];
}

export interface RdkafkaDeliveryReport {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly opaque?: unknown;
}

interface RdkafkaClient {
  connect(options: Record<string, unknown>, done: (error: RdkafkaError | null) => void): void;
  disconnect(done?: (error: RdkafkaError | null) => void): void;
  isConnected(): boolean;
  on(event: 'event.error', listener: (error: RdkafkaError) => void): void;
}

export interface RdkafkaProducer extends RdkafkaClient {
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: Buffer | null,
    timestamp: number | null,
    opaque: unknown,
    headers: Record<string, Buffer | string>[] | undefined,
  ): boolean;
  on(
    event: 'delivery-report',
    listener: (error: RdkafkaError | null, report: RdkafkaDeliveryReport) => void,
  ): void;
  on(event: 'event.error', listener: (error: RdkafkaError) => void): void;
  setPollInBackground(set: boolean): void;
  flush(timeoutMs: number, done: Done): void;
  initTransactions(timeoutMs: number, done: Done): void;
  beginTransaction(done: Done): void;
  commitTransaction(timeoutMs: number, done: Done): void;
  abortTransaction(timeoutMs: number, done: Done): void;
  sendOffsetsToTransaction(
    offsets: RdkafkaTopicPartitionOffset[],
    consumer: RdkafkaConsumer,
    timeoutMs: number,
    done: Done,
  ): void;
}

export interface RdkafkaConsumer extends RdkafkaClient {
  subscribe(topics: string[]): void;
  assign(assignment: RdkafkaTopicPartitionOffset[]): void;
  unassign(): void;
  assignments(): RdkafkaTopicPartitionOffset[];
  consume(
    count: number,
    done: (error: RdkafkaError | null, messages: RdkafkaMessage[]) => void,
  ): void;
  setDefaultConsumeTimeout(timeoutMs: number): void;
  setDefaultIsTimeoutOnlyForFirstMessage(set: boolean): void;
  position(partitions?: RdkafkaTopicPartitionOffset[]): RdkafkaTopicPartitionOffset[];
  seek(partition: RdkafkaTopicPartitionOffset, timeoutMs: number, done: Done): void;
  pause(partitions: RdkafkaTopicPartitionOffset[]): void;
  resume(partitions: RdkafkaTopicPartitionOffset[]): void;
  commitCb(offsets: RdkafkaTopicPartitionOffset[], done: Done): void;
  getWatermarkOffsets(topic: string, partition: number): { highOffset: number; lowOffset: number };
}

export interface RdkafkaGroupDescription {
  readonly groupId: string;
  readonly error?: RdkafkaError;
  readonly members: readonly {
    readonly memberId: string;
    readonly clientId: string;
    readonly clientHost: string;
    readonly assignment?: { readonly topicPartitions: readonly RdkafkaTopicPartitionOffset[] };
  }[];
}

export interface RdkafkaAdmin {
  disconnect(): void;
  describeGroups(
    groups: string[],
    options: { timeout?: number },
    done: (
      error: RdkafkaError | null,
      result: { groups: readonly RdkafkaGroupDescription[] },
    ) => void,
  ): void;
}

let loaded: RdkafkaModule | undefined;

/**
 * Loads the binding, or throws an error that says how to get it. Synchronous (`require`): a
 * job picks its client in its constructor.
 */
export function loadRdkafka(): RdkafkaModule {
  if (loaded !== undefined) {
    return loaded;
  }
  try {
    const require = createRequire(import.meta.url);
    loaded = require('@confluentinc/kafka-javascript') as RdkafkaModule;
    return loaded;
  } catch (error) {
    throw new Error(
      "The rdkafka client (REELSTREAM_KAFKA_CLIENT=rdkafka, kafkaClient: 'rdkafka') needs " +
        '@confluentinc/kafka-javascript (an optional ' +
        'dependency) with its native part built: run `bash deploy/local/setup/rdkafka.sh` ' +
        `(docs/kafkaClient.md). Loading it failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Whether the binding loads here (tests that need it skip when it does not). */
export function rdkafkaAvailable(): boolean {
  try {
    loadRdkafka();
    return true;
  } catch {
    return false;
  }
}

/** librdkafka's connection settings for reelstream's {@link ConnectionConfig}. */
export function rdkafkaConnection(config: ConnectionConfig, clientId: string): RdkafkaConfig {
  const settings: RdkafkaConfig = {
    'bootstrap.servers': config.brokers.join(','),
    'client.id': clientId,
    'socket.connection.setup.timeout.ms': 3_000,
    'socket.timeout.ms': 30_000,
    // librdkafka logs reconnects itself; the callers report the failures that matter.
    log_level: 3,
  };
  const tls = config.tls;
  const sasl = config.sasl;
  if (sasl !== undefined) {
    settings['security.protocol'] = tls === undefined ? 'sasl_plaintext' : 'sasl_ssl';
    settings['sasl.mechanisms'] = sasl.mechanism.toUpperCase();
    settings['sasl.username'] = sasl.username;
    settings['sasl.password'] = sasl.password;
  } else if (tls !== undefined) {
    settings['security.protocol'] = 'ssl';
  }
  if (tls !== undefined) {
    settings['enable.ssl.certificate.verification'] = tls.rejectUnauthorized;
    if (tls.ca !== undefined) settings['ssl.ca.pem'] = tls.ca;
    if (tls.cert !== undefined) settings['ssl.certificate.pem'] = tls.cert;
    if (tls.key !== undefined) settings['ssl.key.pem'] = tls.key;
  }
  return settings;
}

/** Runs a callback-style call as a promise; a failure rejects with {@link kafkaErrorOf}. */
export function promised(call: (done: Done) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    call((error) =>
      error === null || error === undefined ? resolve() : reject(kafkaErrorOf(error)),
    );
  });
}

/**
 * The Kafka protocol name of a librdkafka error code: the broker's codes are Kafka's own, and
 * the local codes that mean the broker could not be reached or did not answer are given the
 * name of the broker error they stand for. The runtime decides by these names whether an
 * error is an outage to ride through (runtime/transientErrors.ts), as it does for kafkajs's.
 */
const kafkaNames = new Map<number, string>([
  [-195, 'NETWORK_EXCEPTION'], // __TRANSPORT
  [-193, 'NETWORK_EXCEPTION'], // __RESOLVE
  [-192, 'REQUEST_TIMED_OUT'], // __MSG_TIMED_OUT
  [-187, 'BROKER_NOT_AVAILABLE'], // __ALL_BROKERS_DOWN
  [-185, 'REQUEST_TIMED_OUT'], // __TIMED_OUT
  [-180, 'COORDINATOR_NOT_AVAILABLE'], // __WAIT_COORD
  [-166, 'REQUEST_TIMED_OUT'], // __TIMED_OUT_QUEUE
  [-144, 'PRODUCER_FENCED'], // __FENCED
  [5, 'LEADER_NOT_AVAILABLE'],
  [6, 'NOT_LEADER_OR_FOLLOWER'],
  [7, 'REQUEST_TIMED_OUT'],
  [8, 'BROKER_NOT_AVAILABLE'],
  [9, 'REPLICA_NOT_AVAILABLE'],
  [13, 'NETWORK_EXCEPTION'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS'],
  [15, 'COORDINATOR_NOT_AVAILABLE'],
  [16, 'NOT_COORDINATOR'],
  [19, 'NOT_ENOUGH_REPLICAS'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'],
  [27, 'REBALANCE_IN_PROGRESS'],
  [47, 'INVALID_PRODUCER_EPOCH'],
  [49, 'INVALID_PRODUCER_ID_MAPPING'],
  [51, 'CONCURRENT_TRANSACTIONS'],
  [56, 'KAFKA_STORAGE_ERROR'],
  [59, 'UNKNOWN_PRODUCER_ID'],
  [90, 'PRODUCER_FENCED'],
]);

/** A librdkafka error as the runtime reads Kafka errors: its protocol name as `type`. */
export class RdkafkaKafkaError extends Error {
  override readonly name = 'RdkafkaKafkaError';
  /** librdkafka's code (negative: local to the client; positive: the broker's). */
  readonly code: number;
  /** The Kafka protocol name, when the code has one here. */
  readonly type: string | undefined;

  constructor(error: RdkafkaError) {
    super(`librdkafka: ${error.message} (code ${error.code})`, { cause: error });
    this.code = error.code;
    this.type = kafkaNames.get(error.code);
  }
}

export function kafkaErrorOf(error: unknown): Error {
  if (error instanceof RdkafkaKafkaError) {
    return error;
  }
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : 0;
  if (typeof code === 'number' && error instanceof Error) {
    return new RdkafkaKafkaError(error as RdkafkaError);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** librdkafka's error codes this client acts on (rdkafka.h). */
export const rdkafkaCodes = {
  queueFull: -184,
  allBrokersDown: -187,
  assignPartitions: -175,
  revokePartitions: -174,
  timedOut: -185,
  noOffset: -168,
} as const;
