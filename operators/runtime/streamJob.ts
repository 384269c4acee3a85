import pino, { type Logger } from 'pino';

import type { ConnectionConfig } from '../config/connectionConfig.js';
import { createKafkaJs } from '../connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../connectors/kafka/kafkajsStreamClient.js';
import type {
  ConsumerSession,
  IncomingBatch,
  RecordProducer,
  StreamClient,
} from '../connectors/kafka/streamClient.js';
import type { Pipeline } from '../dsl/pipeline.js';
import { ConfigError } from '../errors.js';
import { RegistrySchemaCatalog } from '../serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../serdes/registryClient.js';
import type { SchemaCatalog } from '../serdes/serde.js';
import { deadLetterPolicy, decide, errorMessage, type FailurePolicy } from './failurePolicy.js';
import { JobLifecycle, type JobState } from './jobLifecycle.js';
import { deadLetterRecord, OutputSerializer } from './outputSerializer.js';
import type { OutgoingRecord } from './rawRecord.js';
import { Task, type DeadLetter } from './task.js';
import { Topology } from './topology.js';

/** @category Runtime */
export interface StreamJobOptions {
  readonly pipeline: Pipeline;
  /** The consumer group id, and the prefix of internal topics and the DLQ (`<id>.dlq`). */
  readonly applicationId: string;
  readonly connection: ConnectionConfig;
  readonly policy?: FailurePolicy;
  /** How often acknowledged offsets are committed. Default 1000 ms. */
  readonly commitIntervalMs?: number;
  /** Partitions processed concurrently by this instance. Default 4. */
  readonly concurrency?: number;
  /** Where a partition without a committed offset starts. Default earliest. */
  readonly fromBeginning?: boolean;
  readonly logger?: Logger;
  /** Replaces the kafkajs client and the registry (for tests of the runtime itself). */
  readonly client?: StreamClient;
  readonly schemas?: SchemaCatalog;
}

/**
 * A pipeline running on Kafka. Its instances (processes started with the same applicationId)
 * form one consumer group; each partition of the input is a task owned by one instance; tasks
 * move between instances on rebalance. Processing is at-least-once: a batch's outputs and dead
 * letters are acknowledged by the brokers before its offsets can be committed.
 *
 * @example
 * ```ts
 * const job = new StreamJob({ pipeline, applicationId: 'features', connection: connectionConfigFromEnv() });
 * await job.start();
 * process.on('SIGTERM', () => void job.stop());
 * ```
 * @category Runtime
 */
export class StreamJob {
  readonly topology: Topology;
  readonly lifecycle = new JobLifecycle();
  private readonly options: StreamJobOptions;
  private readonly client: StreamClient;
  private readonly logger: Logger;
  private readonly policy: FailurePolicy;
  private readonly serializer = new OutputSerializer();
  private readonly tasks = new Map<string, Task>();
  private producer: RecordProducer | undefined;
  private consumer: ConsumerSession | undefined;
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;
  private readonly counters = { processed: 0, produced: 0, deadLettered: 0 };

  constructor(options: StreamJobOptions) {
    this.options = options;
    this.topology = new Topology(options.pipeline.graph, options.applicationId);
    this.client =
      options.client ??
      new KafkajsStreamClient(
        createKafkaJs(options.connection, { clientId: options.applicationId }),
      );
    this.logger = options.logger ?? pino({ name: options.applicationId, level: 'info' });
    this.policy = options.policy ?? deadLetterPolicy;
    this.lifecycle.onChange((to, from) => this.logger.info({ from, to }, `job ${to}`));
  }

  get state(): JobState {
    return this.lifecycle.state;
  }

  get deadLetterTopic(): string {
    return `${this.options.applicationId}.dlq`;
  }

  /** Records processed, outputs produced and dead letters sent by this instance so far. */
  stats(): { processed: number; produced: number; deadLettered: number; tasks: string[] } {
    return { ...this.counters, tasks: [...this.tasks.keys()].sort() };
  }

  /** Validates topics, creates internal ones, joins the group; resolves once consuming. */
  async start(): Promise<void> {
    this.lifecycle.moveTo('starting');
    try {
      await this.prepareTopics();
      const schemas =
        this.options.schemas ??
        new RegistrySchemaCatalog(createRegistryClient(this.options.connection.registry));
      for (const node of this.topology.graph.all()) {
        if (node.kind !== 'processor') {
          node.keySerde.configure?.({ schemas });
          node.valueSerde.configure?.({ schemas });
        }
      }
      this.producer = await this.client.producer();
      this.consumer = this.client.consumer({
        groupId: this.options.applicationId,
        topics: this.topology.sourceTopics(),
        fromBeginning: this.options.fromBeginning ?? true,
        commitIntervalMs: this.options.commitIntervalMs ?? 1_000,
        concurrency: this.options.concurrency ?? 4,
      });
      await this.consumer.start({
        onBatch: (batch) => this.onBatch(batch),
        onRebalancing: () => {
          if (this.lifecycle.canMoveTo('rebalancing') && this.state !== 'rebalancing') {
            this.lifecycle.moveTo('rebalancing');
          }
        },
        onAssigned: (assignment) => this.onAssigned(assignment),
        onCrash: (error) => void this.fail(error),
      });
    } catch (error) {
      await this.fail(error);
      throw error;
    }
  }

  /** Stops gracefully: finishes the batches in flight, commits, leaves the group, closes tasks. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Stops the job gracefully on SIGTERM or SIGINT (flush, commit, leave the group); the
   * handlers are removed once it has stopped. A second signal while stopping is ignored.
   */
  stopOnSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.logger.info({ signal }, 'signal received: stopping');
      void this.stop();
    };
    for (const signal of signals) {
      process.on(signal, onSignal);
    }
    this.lifecycle.onChange((to) => {
      if (to === 'stopped') {
        for (const signal of signals) {
          process.off(signal, onSignal);
        }
      }
    });
  }

  /** Resolves when the job has stopped; rejects with the cause when it failed. */
  async whenStopped(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.state === 'stopped') {
        resolve();
        return;
      }
      this.lifecycle.onChange((to) => {
        if (to === 'stopped') {
          resolve();
        }
      });
    });
    if (this.failure !== undefined) {
      throw this.failure;
    }
  }

  private async shutdown(): Promise<void> {
    if (this.state !== 'failed') {
      this.lifecycle.moveTo('stopping');
    }
    await this.consumer
      ?.stop()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'consumer stop'));
    for (const task of this.tasks.values()) {
      await task.close();
    }
    this.tasks.clear();
    await this.producer
      ?.close()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'producer close'));
    this.lifecycle.moveTo('stopped');
  }

  private async fail(error: unknown): Promise<void> {
    if (this.state === 'failed' || this.state === 'stopped') {
      return;
    }
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.logger.error({ err: error }, `job failed: ${errorMessage(error)}`);
    this.lifecycle.moveTo('failed');
    await this.stop();
  }

  /**
   * Checks that input topics exist and co-partitioned inputs have equal partition counts, and
   * creates the internal topics (repartition, DLQ) with the right partition counts.
   */
  private async prepareTopics(): Promise<void> {
    const internalNames = new Set(this.topology.internalTopics.map((t) => t.name));
    const external = this.topology.sourceTopics().filter((t) => !internalNames.has(t));
    const counts = await this.client.partitionCounts([...external, ...internalNames]);
    const missing = external.filter((t) => !counts.has(t));
    if (missing.length > 0) {
      throw new ConfigError('pipeline', `input topics do not exist: ${missing.join(', ')}`);
    }
    // Internal topics take their upstream's partition count unless the pipeline fixes one;
    // sub-topologies are in dependency order, so upstream counts are known first.
    for (const internal of this.topology.internalTopics) {
      const upstream = this.topology.subTopologies[internal.producedBy];
      const upstreamCounts = [...(upstream?.sources.keys() ?? [])].map((t) => counts.get(t) ?? 0);
      const wanted = internal.partitions ?? Math.max(1, ...upstreamCounts);
      const existing = counts.get(internal.name);
      if (existing !== undefined && existing !== wanted) {
        throw new ConfigError(
          'pipeline',
          `internal topic ${internal.name} has ${existing} partitions, the pipeline needs ${wanted}`,
        );
      }
      counts.set(internal.name, wanted);
    }
    await this.client.ensureTopics([
      ...this.topology.internalTopics.map((t) => ({
        name: t.name,
        partitions: counts.get(t.name) ?? 1,
      })),
      { name: this.deadLetterTopic, partitions: 1 },
    ]);
    for (const sub of this.topology.subTopologies) {
      const perTopic = [...sub.sources.keys()].map((t) => `${t} (${counts.get(t) ?? '?'})`);
      if (new Set([...sub.sources.keys()].map((t) => counts.get(t))).size > 1) {
        throw new ConfigError(
          'pipeline',
          `sub-topology ${sub.id} reads topics that are not co-partitioned: ${perTopic.join(', ')}; ` +
            'records with equal keys would meet in different tasks. Give them equal partition counts or repartition one.',
        );
      }
    }
  }

  private async onAssigned(assignment: ReadonlyMap<string, readonly number[]>): Promise<void> {
    const owned = new Set<string>();
    for (const [topic, partitions] of assignment) {
      const sub = this.topology.subTopologyOf(topic);
      for (const partition of partitions) {
        if (sub !== undefined) {
          owned.add(`${sub.id}_${partition}`);
        }
      }
    }
    for (const [id, task] of this.tasks) {
      if (!owned.has(id)) {
        this.tasks.delete(id);
        await task.close();
        this.logger.info({ task: id }, 'task closed (partition revoked)');
      }
    }
    this.logger.info({ tasks: [...owned].sort() }, 'partitions assigned');
    if (this.state === 'rebalancing' || this.state === 'starting') {
      this.lifecycle.moveTo('running');
    }
  }

  private async taskFor(topic: string, partition: number): Promise<Task> {
    const sub = this.topology.subTopologyOf(topic);
    if (sub === undefined) {
      throw new Error(`received records of topic ${topic}, which the pipeline does not read`);
    }
    const id = `${sub.id}_${partition}`;
    let task = this.tasks.get(id);
    if (task === undefined) {
      task = new Task({
        topology: this.topology,
        subTopology: sub,
        partition,
        policy: this.policy,
        clock: Date.now,
      });
      await task.init();
      this.tasks.set(id, task);
      this.logger.info({ task: id }, 'task created');
    }
    return task;
  }

  private async onBatch(batch: IncomingBatch): Promise<void> {
    try {
      const task = await this.taskFor(batch.topic, batch.partition);
      await task.processBatch(batch.topic, batch.records);
      const outputs = await this.serializer.serialize(task.takeOutputs(), (output, error) =>
        task.failed({ raw: output.source, stage: 'processing', error }),
      );
      outputs.push(...task.takeRawOutputs());
      await this.produce(task, outputs);
      this.counters.processed += batch.records.length;
    } catch (error) {
      // The failure policy said `fail`, or a broker error outlived the client's retries: the
      // batch is not acknowledged, so its records are reprocessed by whoever owns it next.
      void this.fail(error);
      throw error;
    }
  }

  /** Sends a batch's outputs, then its dead letters; a send failure goes to the policy. */
  private async produce(task: Task, outputs: OutgoingRecord[]): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) {
      throw new Error('the job has no producer; was start() awaited?');
    }
    try {
      await producer.send(outputs);
      this.counters.produced += outputs.length;
    } catch (error) {
      this.handleProductionFailure(task, error);
    }
    const letters: DeadLetter[] = task.takeDeadLetters();
    if (letters.length > 0) {
      await producer.send(letters.map((letter) => deadLetterRecord(letter, this.deadLetterTopic)));
      this.counters.deadLettered += letters.length;
      this.logger.warn(
        { task: task.id, count: letters.length, first: errorMessage(letters[0]?.error) },
        `sent ${letters.length} records to ${this.deadLetterTopic}`,
      );
    }
  }

  private handleProductionFailure(task: Task, error: unknown): void {
    // kafkajs does not say which records of a failed send were written, and a broker that
    // refuses the outputs would refuse dead letters too: `continue` drops the batch's outputs
    // (logged), anything else stops the job without acknowledging the batch.
    const decision = decide(this.policy, {
      stage: 'production',
      error,
      origin: { topic: '', partition: task.partition, offset: '' },
      taskId: task.id,
    });
    if (decision !== 'continue') {
      throw error;
    }
    this.logger.error({ err: error, task: task.id }, 'outputs dropped by the production policy');
  }
}
