import { StreamRecord, type Headers } from '../api/record.js';
import type { Pipeline } from '../dsl/pipeline.js';
import { InMemorySchemaCatalog } from '../serdes/avro/inMemorySchemaCatalog.js';
import type { Serde, SerdeEnvironment } from '../serdes/serde.js';
import { deadLetterPolicy, type FailurePolicy } from '../runtime/failurePolicy.js';
import { GlobalStateManager } from '../runtime/globalStateManager.js';
import { deadLetterRecord, OutputSerializer } from '../runtime/outputSerializer.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { OutgoingRecord, RawRecord } from '../runtime/rawRecord.js';
import { Task } from '../runtime/task.js';
import { TaskState } from '../runtime/taskState.js';
import { CacheBudget } from '../state/caching/cacheBudget.js';
import { Topology } from '../runtime/topology.js';
import { QueryService } from '../query/queryService.js';
import { StoreQuery, type QueryableStore } from '../query/storeQuery.js';

/** @category Testing */
export interface TestDriverOptions {
  readonly applicationId?: string;
  /** Partitions of every topic; records are spread over them by key as Kafka does. Default 1. */
  readonly partitions?: number;
  readonly policy?: FailurePolicy;
  /** Initial wall-clock time, epoch ms. Default 0. */
  readonly wallClock?: number;
}

/**
 * Runs a pipeline in-process, without Kafka, with the same operator and task code as
 * production: records piped into input topics go through the tasks, repartition topics are fed
 * back, and what sinks write is kept per topic. Event time comes from the records; wall-clock
 * time only moves when the test advances it. Avro serdes use an in-memory schema catalog.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { Pipeline, stringSerde, TestDriver } from 'reelstream';
 *
 * const text = { key: stringSerde, value: stringSerde };
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('words', text)
 *   .mapValues((word) => word.toUpperCase())
 *   .to('shouted', text);
 *
 * const driver = await TestDriver.start(pipeline);
 * await driver.input('words', text).pipe('k', 'hello');
 * assert.deepEqual(await driver.output('shouted', text).readValues(), ['HELLO']);
 * await driver.close();
 * ```
 * @category Testing
 */
export class TestDriver {
  /** The graph of tasks compiled from the pipeline. @internal */
  readonly topology: Topology;
  readonly schemas = new InMemorySchemaCatalog();
  private readonly partitions: number;
  private readonly policy: FailurePolicy;
  private readonly tasks = new Map<string, Task>();
  private readonly budget = new CacheBudget(64 * 1024 * 1024);
  private readonly serializer = new OutputSerializer();
  private readonly topics = new Map<string, RawRecord[]>();
  /** Global tables in memory, fed by what is written to their topics. */
  private readonly globalState: GlobalStateManager;
  private wallClock: number;

  private constructor(pipeline: Pipeline, options: TestDriverOptions) {
    this.topology = new Topology(pipeline.graph, options.applicationId ?? 'test');
    this.partitions = options.partitions ?? 1;
    this.policy = options.policy ?? deadLetterPolicy;
    this.wallClock = options.wallClock ?? 0;
    this.globalState = GlobalStateManager.inMemory(pipeline.globalTables, {
      schemas: this.schemas,
    });
  }

  static async start(pipeline: Pipeline, options: TestDriverOptions = {}): Promise<TestDriver> {
    const driver = new TestDriver(pipeline, options);
    const environment: SerdeEnvironment = { schemas: driver.schemas };
    for (const node of driver.topology.graph.all()) {
      if (node.kind !== 'processor') {
        node.keySerde.configure?.(environment);
        node.valueSerde.configure?.(environment);
      }
    }
    for (const sub of driver.topology.subTopologies) {
      for (let partition = 0; partition < driver.partitions; partition++) {
        // Stores live in memory here, whatever their backend: same semantics, no disk.
        const state =
          sub.stores.length === 0
            ? undefined
            : (
                await TaskState.open({
                  applicationId: driver.topology.applicationId,
                  taskId: `${sub.id}_${partition}`,
                  partition,
                  specs: sub.stores.map((spec) => ({ ...spec, backend: 'memory' as const })),
                  stateDir: '',
                  budget: driver.budget,
                })
              ).state;
        const task = new Task({
          topology: driver.topology,
          subTopology: sub,
          partition,
          policy: driver.policy,
          clock: () => driver.wallClock,
          ...(state === undefined ? {} : { state }),
          globalStores: driver.globalState,
        });
        await task.init();
        driver.tasks.set(task.id, task);
      }
    }
    return driver;
  }

  /** The dead-letter topic of this driver's job. */
  get deadLetterTopic(): string {
    return `${this.topology.applicationId}.dlq`;
  }

  /** An input topic written with `serdes` (usually the same as the pipeline's source serdes). */
  input<TKey, TValue>(
    topic: string,
    serdes: { key: Serde<TKey>; value: Serde<TValue> },
  ): TestInputTopic<TKey, TValue> {
    return new TestInputTopic(this, topic, serdes);
  }

  /** An output topic read with `serdes`. */
  output<TKey, TValue>(
    topic: string,
    serdes: { key: Serde<TKey>; value: Serde<TValue> },
  ): TestOutputTopic<TKey, TValue> {
    return new TestOutputTopic(this, topic, serdes);
  }

  /** Point and range lookups on a key-value store of the pipeline, as `StreamJob.query`. */
  query<TKey, TValue>(store: QueryableStore<TKey, TValue>): StoreQuery<TKey, TValue> {
    // Every task runs here: the lookups never leave the process.
    const service = new QueryService({
      topology: this.topology,
      groupId: this.topology.applicationId,
      client: {
        partitionCounts: (topics) =>
          Promise.resolve(new Map(topics.map((topic) => [topic, this.partitions]))),
        groupMembers: () => Promise.resolve([]),
      },
      localStore: (taskId, name) => this.tasks.get(taskId)?.state?.store(name),
      isAssigned: (taskId) => this.tasks.has(taskId),
    });
    return new StoreQuery(service, store);
  }

  /** A counter operators keep (`lateRecords`, …), summed over the tasks. */
  counter(metric: string): number {
    return [...this.tasks.values()].reduce(
      (sum, task) => sum + (task.counters.get(metric) ?? 0),
      0,
    );
  }

  /** Closes every task and its stores. */
  async close(): Promise<void> {
    for (const task of this.tasks.values()) {
      await task.close();
    }
    this.tasks.clear();
    await this.globalState.stop();
  }

  /**
   * Moves wall-clock time forward and fires the processing-time timers it reached (in time
   * order per task), processing what they forward to quiescence.
   */
  async advanceWallClock(ms: number): Promise<void> {
    this.wallClock += ms;
    const produced: OutgoingRecord[] = [];
    for (const task of this.tasks.values()) {
      if ((await task.fireProcessingTimers()) > 0) {
        produced.push(...(await this.collect(task)));
      }
    }
    await this.write(produced);
  }

  /** Raw records written to `topic` and not yet read. @internal */
  drain(topic: string): RawRecord[] {
    const records = this.topics.get(topic) ?? [];
    this.topics.set(topic, []);
    return records;
  }

  /**
   * Feeds raw records into the topology and runs until no internal topic has pending records.
   * @internal
   */
  async write(records: readonly OutgoingRecord[]): Promise<void> {
    let queue = [...records];
    while (queue.length > 0) {
      const next: OutgoingRecord[] = [];
      const byTaskAndTopic = new Map<string, { task: Task; topic: string; records: RawRecord[] }>();
      const globalUpdates: RawRecord[] = [];
      for (const record of queue) {
        const raw = this.append(record);
        if (this.globalState.reads(raw.topic)) {
          globalUpdates.push(raw);
        }
        const sub = this.topology.subTopologyOf(raw.topic);
        if (sub === undefined) {
          continue; // an output topic: kept for the test to read
        }
        const task = this.tasks.get(`${sub.id}_${raw.partition}`);
        if (task === undefined) {
          throw new Error(`no task for ${raw.topic}-${raw.partition}`);
        }
        const id = `${task.id}\u0000${raw.topic}`;
        const group = byTaskAndTopic.get(id) ?? { task, topic: raw.topic, records: [] };
        group.records.push(raw);
        byTaskAndTopic.set(id, group);
      }
      // Global tables see their topic's records before the tasks process the same write.
      await this.globalState.apply(globalUpdates);
      for (const { task, topic, records: batch } of byTaskAndTopic.values()) {
        await task.processBatch(topic, batch);
        next.push(...(await this.collect(task)));
      }
      queue = next;
    }
  }

  /** Commits the task's work as the job does: outputs, dead letters and changelog records. */
  private async collect(task: Task): Promise<OutgoingRecord[]> {
    await task.flush();
    const outputs = await this.serializer.serialize(task.takeOutputs(), (output, error) => {
      task.failed({ raw: output.source, stage: 'processing', error });
    });
    const records = [...outputs, ...task.takeRawOutputs()];
    records.push(
      ...task.takeDeadLetters().map((letter) => deadLetterRecord(letter, this.deadLetterTopic)),
    );
    if (task.state !== undefined) {
      records.push(...task.state.prepareCommit(this.wallClock));
      await task.state.completeCommit(new Map());
    }
    return records;
  }

  /** Records piped into a source topic are consumed; keep a copy for readers of that topic too. */
  private append(record: OutgoingRecord): RawRecord {
    const partition =
      record.partition ?? (record.key === null ? 0 : partitionForKey(record.key, this.partitions));
    const log = this.topics.get(record.topic) ?? [];
    const raw: RawRecord = {
      topic: record.topic,
      partition,
      offset: String(this.offsets(record.topic)),
      key: record.key,
      value: record.value,
      timestamp: record.timestamp,
      headers: record.headers,
    };
    log.push(raw);
    this.topics.set(record.topic, log);
    return raw;
  }

  private readonly nextOffset = new Map<string, number>();

  private offsets(topic: string): number {
    const offset = this.nextOffset.get(topic) ?? 0;
    this.nextOffset.set(topic, offset + 1);
    return offset;
  }
}

/** @category Testing */
export class TestInputTopic<TKey, TValue> {
  private readonly driver: TestDriver;
  private readonly topic: string;
  private readonly serdes: { key: Serde<TKey>; value: Serde<TValue> };
  private prepared = false;

  constructor(
    driver: TestDriver,
    topic: string,
    serdes: { key: Serde<TKey>; value: Serde<TValue> },
  ) {
    this.driver = driver;
    this.topic = topic;
    this.serdes = serdes;
  }

  /** Writes one record (timestamp defaults to 0) and processes it to quiescence. */
  pipe(
    key: TKey,
    value: TValue,
    options: { timestamp?: number; headers?: Headers } = {},
  ): Promise<void> {
    return this.pipeMany([{ key, value, ...options }]);
  }

  /** Writes records as one batch, as a consumer poll would deliver them. */
  async pipeMany(
    records: readonly { key: TKey; value: TValue; timestamp?: number; headers?: Headers }[],
  ): Promise<void> {
    await this.prepare();
    await this.driver.write(
      records.map((r) => ({
        topic: this.topic,
        key: this.serdes.key.serialize(r.key, { topic: this.topic, isKey: true }),
        value: this.serdes.value.serialize(r.value, { topic: this.topic, isKey: false }),
        timestamp: r.timestamp ?? 0,
        headers: r.headers ?? {},
      })),
    );
  }

  /** Writes raw bytes (e.g. a malformed payload) as they would arrive from Kafka. */
  pipeRaw(record: {
    key: Uint8Array | null;
    value: Uint8Array | null;
    timestamp?: number;
    headers?: Headers;
  }): Promise<void> {
    return this.driver.write([{ topic: this.topic, timestamp: 0, headers: {}, ...record }]);
  }

  private async prepare(): Promise<void> {
    if (!this.prepared) {
      const environment = { schemas: this.driver.schemas };
      this.serdes.key.configure?.(environment);
      this.serdes.value.configure?.(environment);
      await this.serdes.key.prepareSerialize?.({ topic: this.topic, isKey: true });
      await this.serdes.value.prepareSerialize?.({ topic: this.topic, isKey: false });
      this.prepared = true;
    }
  }
}

/** @category Testing */
export class TestOutputTopic<TKey, TValue> {
  private readonly driver: TestDriver;
  private readonly topic: string;
  private readonly serdes: { key: Serde<TKey>; value: Serde<TValue> };

  constructor(
    driver: TestDriver,
    topic: string,
    serdes: { key: Serde<TKey>; value: Serde<TValue> },
  ) {
    this.driver = driver;
    this.topic = topic;
    this.serdes = serdes;
    serdes.key.configure?.({ schemas: driver.schemas });
    serdes.value.configure?.({ schemas: driver.schemas });
  }

  /** Every record written since the last read, deserialized, in write order. */
  async readRecords(): Promise<StreamRecord<TKey, TValue>[]> {
    const raws = this.driver.drain(this.topic);
    const keyContext = { topic: this.topic, isKey: true };
    const valueContext = { topic: this.topic, isKey: false };
    await this.serdes.key.prepareDeserialize?.(
      raws.map((r) => r.key),
      keyContext,
    );
    await this.serdes.value.prepareDeserialize?.(
      raws.map((r) => r.value),
      valueContext,
    );
    return raws.map((raw) =>
      StreamRecord.of({
        key: this.serdes.key.deserialize(raw.key, keyContext),
        value: this.serdes.value.deserialize(raw.value, valueContext),
        timestamp: raw.timestamp,
        headers: raw.headers,
        origin: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
      }),
    );
  }

  async readValues(): Promise<TValue[]> {
    return (await this.readRecords()).map((r) => r.value);
  }

  async readKeyValues(): Promise<[TKey, TValue][]> {
    return (await this.readRecords()).map((r) => [r.key, r.value]);
  }
}
