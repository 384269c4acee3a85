import { homedir } from 'node:os';
import { join } from 'node:path';

import pino, { type Logger } from 'pino';

import type { ConnectionConfig } from '../config/connectionConfig.js';
import { createKafkaJs } from '../connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../connectors/kafka/kafkajsStreamClient.js';
import type {
  ConsumerSession,
  IncomingBatch,
  RecordProducer,
  StreamClient,
  TopicPartition,
} from '../connectors/kafka/streamClient.js';
import type { Pipeline } from '../dsl/pipeline.js';
import { ConfigError } from '../errors.js';
import { RegistrySchemaCatalog } from '../serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../serdes/registryClient.js';
import type { SchemaCatalog } from '../serdes/serde.js';
import { CacheBudget } from '../state/caching/cacheBudget.js';
import { SerialQueue } from '../support/serialQueue.js';
import {
  AtLeastOnceCommitter,
  ExactlyOnceCommitter,
  type Committer,
  type ProcessingGuarantee,
} from './committer.js';
import { deadLetterPolicy, decide, errorMessage, type FailurePolicy } from './failurePolicy.js';
import { QueryService } from '../query/queryService.js';
import { querySecurityFromEnv, type QuerySecurity } from '../query/querySecurity.js';
import { StoreQuery, type QueryableStore } from '../query/storeQuery.js';
import { GlobalStateManager } from './globalStateManager.js';
import { JobLifecycle, type JobState } from './jobLifecycle.js';
import { deadLetterRecord, OutputSerializer } from './outputSerializer.js';
import type { OutgoingRecord } from './rawRecord.js';
import { PartitionGroup, type FetchedUpTo } from './partitionGroup.js';
import { Task, type DeadLetter } from './task.js';
import { TaskState, type RestoreReport } from './taskState.js';
import { Topology, type SubTopology } from './topology.js';

/** @category Runtime */
export interface StreamJobOptions {
  readonly pipeline: Pipeline;
  /** The consumer group id, and the prefix of internal topics and the DLQ (`<id>.dlq`). */
  readonly applicationId: string;
  readonly connection: ConnectionConfig;
  readonly policy?: FailurePolicy;
  /**
   * How often a task commits. Exactly-once: each task's transaction (outputs, changelog,
   * positions) every this many ms while it has work, so a busy task commits a few times a
   * second however many fetches it takes. At-least-once: outputs are sent after each slice
   * of records and the positions committed for the group every this many ms. Default 1000 ms.
   */
  readonly commitIntervalMs?: number;
  /**
   * The bytes a fetch of the job's inputs waits for, up to 100 ms (Kafka's `fetch.min.bytes`).
   * Default 1: a record is fetched as soon as it is there, what a request topic needs. A job
   * that follows a firehose with seconds to spare sets more, and reads it in fewer, fuller
   * batches.
   */
  readonly fetchMinBytes?: number;
  /** Partitions processed concurrently by this instance. Default 4. */
  readonly concurrency?: number;
  /** Where a partition without a committed offset starts. Default earliest. */
  readonly fromBeginning?: boolean;
  /** Default `at-least-once`. See `committer.ts` for what each promises and costs. */
  readonly guarantee?: ProcessingGuarantee;
  /**
   * Where the tasks' RocksDB stores live (`<stateDir>/<taskId>/`). Default
   * `$REELSTREAM_STATE_DIR/<applicationId>`, else `~/.cache/reelstream/state/<applicationId>`.
   */
  readonly stateDir?: string;
  /** One memory budget for the write caches of all stores of this instance. Default 64 MiB. */
  readonly cacheMaxBytes?: number;
  /** How long the group waits for a silent (killed) instance before moving its tasks. Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** Called after each task's state restore (before it processes anything). */
  readonly onRestore?: (report: RestoreReport) => void;
  readonly logger?: Logger;
  /**
   * `host:port` where this instance answers interactive queries over HTTP (`job.query`, and
   * lookups forwarded by the other instances); advertised to them through the consumer group.
   * Port 0 picks a free port. Without it, `job.query` still answers for local keys and names
   * the owner of the others.
   */
  readonly queryEndpoint?: string;
  /**
   * The query endpoint's bearer token(s) and https, also used for the lookups this instance
   * forwards (operators/query/querySecurity.ts). Default: from the environment
   * (`REELSTREAM_QUERY_TOKEN`, `REELSTREAM_QUERY_TLS_*`). A `queryEndpoint` on a routable
   * address without a token does not start unless `allowUnauthenticated`.
   */
  readonly querySecurity?: QuerySecurity;
  /** How often due processing-time timers are looked for. Default 100 ms. */
  readonly timerTickMs?: number;
  /**
   * A task takes its inputs' records in timestamp order (runtime/partitionGroup.ts); an empty
   * input that is behind holds the others back until a fetch shows it at its end, and never
   * longer than this (a safety net: a fetch normally settles it within a fraction of a
   * second). Default 30,000 ms.
   */
  readonly maxTaskIdleMs?: number;
  /**
   * For inputs written faster than real time (a replay): while one of a task's inputs is empty,
   * a record of another is taken only once a fetch that started this long after the record
   * arrived has been delivered (runtime/partitionGroup.ts; Kafka Streams' `max.task.idle.ms`
   * plays this part). Default 0: live traffic is written close to its event time, so a record
   * read a moment early moves stream time by that moment. A replay writes its topics one after
   * another, hours of event time at once: read in between, one topic's records run ahead of
   * another's written with them and close windows and sessions early.
   */
  readonly waitForWritersMs?: number;
  /** Records buffered per input partition before it is paused. Default 5,000. */
  readonly bufferedRecordsPerPartition?: number;
  /** Replaces the kafkajs client and the registry (for tests of the runtime itself). */
  readonly client?: StreamClient;
  readonly schemas?: SchemaCatalog;
}

/** What creating a task needs from the batch that asked for it (or from its assignment). */
type TaskSource = Pick<IncomingBatch, 'partition' | 'heartbeat'>;

/** A task with what runs it: how it commits, and the queue its batches and commits go through. */
interface TaskRunner {
  readonly task: Task;
  readonly committer: Committer;
  readonly queue: SerialQueue;
  /** Source topics whose position was checked against the committed offset (exactly-once). */
  readonly checked: Set<string>;
  /**
   * The task's fetched records, per source partition, taken in timestamp order. It also
   * drops records kafkajs hands out again (after a rebalance it resumes from the committed
   * offset, behind what the task has already buffered or committed).
   */
  readonly input: PartitionGroup;
  /** Per source topic, the position the last commit gave the group. */
  readonly committed: Map<string, bigint>;
  /** Per source topic, the first offset buffered: where to go back to without a commit. */
  readonly firstFetched: Map<string, string>;
  /** Source topics paused because their buffer is full. */
  readonly paused: Set<string>;
  /** Whether a drain is queued and has not started. */
  drainQueued: boolean;
  /** Records processed since the task's last commit. */
  uncommittedRecords: number;
  /** When the task last committed (or was created), ms since the epoch. */
  lastCommitAt: number;
}

/**
 * Records a task processes in one turn of the event loop, at most: a larger slice means less
 * overhead per record, and a longer wait for everything else this process does in between
 * (interactive queries, fetches, heartbeats) and for a stop.
 */
const recordsPerSlice = 100;

/** At-least-once: records a task processes before it sends their outputs, at most. */
const recordsPerSend = 2_000;

/**
 * Exactly-once: records a task may process before it commits whatever the interval, bounding
 * the work a failed commit redoes and the outputs held in memory.
 */
const maxUncommittedRecords = 20_000;

/**
 * A pipeline running on Kafka. Its instances (processes started with the same applicationId)
 * form one consumer group; each partition of the input is a task owned by one instance; tasks
 * move between instances on rebalance. A task buffers what each fetch brings for its source
 * partitions and takes it in timestamp order across them (runtime/partitionGroup.ts). What it
 * takes is committed: outputs, changelog records and dead letters, then (at-least-once) the
 * positions by the consumer, or (exactly-once) all of it in one transaction of the task's own
 * producer, every `commitIntervalMs` while the task has work.
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
  private readonly runners = new Map<string, TaskRunner>();
  /** Runners being created, so two topics' first batches of one task create it once. */
  private readonly creating = new Map<string, Promise<TaskRunner>>();
  private readonly budget: CacheBudget;
  private readonly guarantee: ProcessingGuarantee;
  private readonly stateDir: string;
  private readonly restores: RestoreReport[] = [];
  private producer: RecordProducer | undefined;
  private consumer: ConsumerSession | undefined;
  private globalState: GlobalStateManager | undefined;
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;
  private readonly queries: QueryService;
  /** The tasks of this instance's last assignment (some may still be being created). */
  private assigned = new Set<string>();
  private timerTick: NodeJS.Timeout | undefined;
  /** Tasks whose processing-time timers are being fired, so a slow one is not queued twice. */
  private readonly ticking = new Set<string>();
  private readonly counters = { processed: 0, produced: 0, deadLettered: 0 };
  /** At-least-once: positions committed with the tasks' outputs, for the group, per task. */
  private readonly pendingOffsets = new Map<string, Map<string, TopicPartitionOffset>>();
  private lastOffsetFlush = Date.now();
  private offsetFlush: Promise<void> = Promise.resolve();

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
    this.guarantee = options.guarantee ?? 'at-least-once';
    this.budget = new CacheBudget(options.cacheMaxBytes ?? 64 * 1024 * 1024);
    this.stateDir =
      options.stateDir ??
      join(
        process.env['REELSTREAM_STATE_DIR'] ?? join(homedir(), '.cache', 'reelstream', 'state'),
        options.applicationId,
      );
    this.lifecycle.onChange((to, from) => this.logger.info({ from, to }, `job ${to}`));
    this.queries = new QueryService(
      {
        topology: this.topology,
        groupId: options.applicationId,
        client: this.client,
        localStore: (taskId, store) => this.runners.get(taskId)?.task.state?.store(store),
        isAssigned: (taskId) => this.assigned.has(taskId),
      },
      this.logger,
      options.querySecurity ?? querySecurityFromEnv(),
    );
  }

  get state(): JobState {
    return this.lifecycle.state;
  }

  get deadLetterTopic(): string {
    return `${this.options.applicationId}.dlq`;
  }

  /** Records processed, outputs produced and dead letters sent by this instance so far. */
  stats(): {
    processed: number;
    produced: number;
    deadLettered: number;
    tasks: string[];
    restores: readonly RestoreReport[];
    cacheBytes: number;
    /** Operators' counters (`lateRecords`, …) summed over this instance's current tasks. */
    operatorCounters: Record<string, number>;
  } {
    const operatorCounters: Record<string, number> = {};
    for (const { task } of this.runners.values()) {
      for (const [metric, value] of task.counters) {
        operatorCounters[metric] = (operatorCounters[metric] ?? 0) + value;
      }
    }
    return {
      ...this.counters,
      operatorCounters,
      tasks: [...this.runners.keys()].sort(),
      restores: [...this.restores],
      cacheBytes: this.budget.usedBytes,
    };
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
      // Global tables are loaded before joining the group: no task ever sees a partial one.
      this.globalState = await GlobalStateManager.start({
        applicationId: this.options.applicationId,
        tables: this.options.pipeline.globalTables,
        stateDir: this.stateDir,
        client: this.client,
        environment: { schemas },
        logger: this.logger,
        onError: (error) => void this.fail(error),
      });
      this.producer = await this.client.producer();
      const queryEndpoint =
        this.options.queryEndpoint === undefined
          ? undefined
          : await this.queries.listen(this.options.queryEndpoint);
      this.consumer = this.client.consumer({
        groupId: this.options.applicationId,
        topics: this.topology.sourceTopics(),
        fromBeginning: this.options.fromBeginning ?? true,
        commitIntervalMs: this.options.commitIntervalMs ?? 1_000,
        concurrency: this.options.concurrency ?? 4,
        // The job commits positions itself: what its tasks processed, not what they buffered.
        autoCommit: false,
        sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
        ...(this.options.fetchMinBytes === undefined
          ? {}
          : { fetchMinBytes: this.options.fetchMinBytes }),
        ...(queryEndpoint === undefined ? {} : { queryEndpoint }),
      });
      await this.consumer.start({
        onBatch: (batch) => this.onBatch(batch),
        onRebalancing: () => {
          this.queries.invalidate();
          if (this.lifecycle.canMoveTo('rebalancing') && this.state !== 'rebalancing') {
            this.lifecycle.moveTo('rebalancing');
          }
          void this.flushOffsets(true);
        },
        onAssigned: (assignment) => this.onAssigned(assignment),
        onCrash: (error) => void this.fail(error),
        onSkipped: (position) => this.onSkipped(position),
        onFetchDelivered: () => this.onFetchDelivered(),
      });
      this.startTick();
    } catch (error) {
      await this.fail(error);
      throw error;
    }
  }

  /**
   * Point and range lookups on one of the job's key-value stores (the pipeline's definition of
   * it, or its name and serdes), answered by whichever instance owns each key.
   */
  query<TKey, TValue>(store: QueryableStore<TKey, TValue>): StoreQuery<TKey, TValue> {
    return new StoreQuery(this.queries, store);
  }

  /** Where this instance answers queries, once started with a `queryEndpoint`. */
  get queryEndpoint(): string | undefined {
    return this.queries.endpoint;
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
    clearInterval(this.timerTick);
    await this.queries
      .close()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'query server close'));
    // No drain starts once stopping; wait for those under way.
    const started = Date.now();
    const step = (what: string): void =>
      this.logger.info({ ms: Date.now() - started }, `stopping: ${what}`);
    // Then commit what each did since its last commit, while this instance is still a member;
    // not after a failure, where the work since the last commit includes the failed record.
    const runners = this.state === 'failed' ? [] : [...this.runners.values()];
    for (const runner of runners) {
      await runner.queue
        .run(async () => {
          if (this.runners.get(runner.task.id) === runner && this.hasUncommittedWork(runner)) {
            await this.commit(runner);
          }
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'final commit failed'));
    }
    step('tasks idle and committed');
    await this.flushOffsets(true);
    await this.consumer
      ?.stop()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'consumer stop'));
    step('left the group');
    for (const id of [...this.runners.keys()]) {
      await this.closeRunner(id);
    }
    step('tasks closed');
    await this.globalState
      ?.stop(this.logger)
      .catch((error: unknown) => this.logger.warn({ err: error }, 'global tables close'));
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
      ...this.changelogSpecs(counts),
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

  /** Compacted changelog topics, one partition per task of the sub-topology that owns the store. */
  private changelogSpecs(
    counts: ReadonlyMap<string, number>,
  ): { name: string; partitions: number; config: Record<string, string> }[] {
    return this.topology.changelogTopics().map(({ name, subTopology }) => ({
      name,
      partitions: Math.max(1, ...[...subTopology.sources.keys()].map((t) => counts.get(t) ?? 1)),
      config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' },
    }));
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
    this.assigned = owned;
    this.queries.invalidate();
    for (const id of [...this.runners.keys()]) {
      if (!owned.has(id)) {
        await this.closeRunner(id);
        this.logger.info({ task: id }, 'task closed (partition revoked)');
      }
    }
    this.logger.info({ tasks: [...owned].sort() }, 'partitions assigned');
    if (this.state === 'rebalancing' || this.state === 'starting') {
      this.lifecycle.moveTo('running');
    }
    for (const id of owned) {
      this.createStatefulTask(id);
    }
  }

  /**
   * Creates (and restores) a task with state as soon as it is assigned, not at its partition's
   * next record: its processing-time timers must fire and its stores answer queries even when
   * no input arrives. Tasks without state are still created by their first batch.
   */
  private createStatefulTask(id: string): void {
    const [subId, partitionText] = id.split('_');
    const sub = this.topology.subTopologies[Number(subId)];
    if (sub === undefined || sub.stores.length === 0 || this.runners.has(id)) {
      return;
    }
    // No batch to heartbeat with: the group hears from the fetch loop of the other partitions.
    const source = { partition: Number(partitionText), heartbeat: () => Promise.resolve() };
    void this.ensureRunner(sub, source)
      .then(async () => {
        if (!this.assigned.has(id) || this.stopping !== undefined) {
          await this.closeRunner(id); // revoked (or the job stopped) while it was restoring
        }
      })
      .catch((error: unknown) => void this.fail(error));
  }

  private async runnerFor(batch: IncomingBatch): Promise<TaskRunner> {
    const sub = this.topology.subTopologyOf(batch.topic);
    if (sub === undefined) {
      throw new Error(`received records of topic ${batch.topic}, which the pipeline does not read`);
    }
    return this.ensureRunner(sub, batch);
  }

  /** The task's runner: the existing one, the one being created, or a new one. */
  private async ensureRunner(sub: SubTopology, source: TaskSource): Promise<TaskRunner> {
    const id = `${sub.id}_${source.partition}`;
    const existing = this.runners.get(id);
    if (existing !== undefined) {
      return existing;
    }
    let creating = this.creating.get(id);
    if (creating === undefined) {
      creating = this.createRunner(sub, source);
      this.creating.set(id, creating);
    }
    try {
      const runner = await creating;
      this.runners.set(id, runner);
      return runner;
    } finally {
      this.creating.delete(id);
    }
  }

  /**
   * Creates a task. Under exactly-once the producer connects first: that fences any older
   * owner of the task and settles its open transaction, so the changelog the stores restore
   * from and the committed offsets are final before they are read.
   */
  private async createRunner(sub: SubTopology, source: TaskSource): Promise<TaskRunner> {
    const { partition } = source;
    const id = `${sub.id}_${partition}`;
    const producer = this.producer;
    if (producer === undefined) {
      throw new Error('the job has no producer; was start() awaited?');
    }
    const committer: Committer =
      this.guarantee === 'exactly-once'
        ? new ExactlyOnceCommitter(
            await this.client.transactionalProducer(`${this.options.applicationId}-${id}`),
            this.options.applicationId,
          )
        : new AtLeastOnceCommitter(producer);
    try {
      let state: TaskState | undefined;
      if (sub.stores.length > 0) {
        const opened = await TaskState.open({
          applicationId: this.options.applicationId,
          taskId: id,
          partition,
          specs: sub.stores,
          stateDir: this.stateDir,
          budget: this.budget,
          client: this.client,
          logger: this.logger,
          // A long restore must not look like a dead member to the group.
          onProgress: () => source.heartbeat(),
          carryPositions: this.guarantee === 'at-least-once',
        });
        state = opened.state;
        this.restores.push(opened.report);
        this.options.onRestore?.(opened.report);
      }
      const task = new Task({
        topology: this.topology,
        subTopology: sub,
        partition,
        policy: this.policy,
        clock: Date.now,
        tracksReplays: this.guarantee === 'at-least-once',
        ...(state === undefined ? {} : { state }),
        ...(this.globalState === undefined ? {} : { globalStores: this.globalState }),
      });
      await task.init();
      this.logger.info({ task: id, guarantee: this.guarantee }, 'task created');
      return {
        task,
        committer,
        queue: new SerialQueue(),
        checked: new Set(),
        input: new PartitionGroup({
          topics: [...sub.sources.keys()],
          roundMark: () => this.consumer?.roundMark() ?? { passed: () => true },
          maxIdleMs: this.options.maxTaskIdleMs ?? 30_000,
          waitForWritersMs: this.options.waitForWritersMs ?? 0,
          onForced: (topic, waitedMs) =>
            this.logger.warn(
              { task: id, topic, waitedMs },
              'an input behind its end delivered nothing for maxTaskIdleMs: processing the other inputs without it (records may be taken out of timestamp order)',
            ),
        }),
        committed: new Map(),
        firstFetched: new Map(),
        paused: new Set(),
        drainQueued: false,
        uncommittedRecords: 0,
        lastCommitAt: Date.now(),
      };
    } catch (error) {
      await committer.close().catch(() => undefined);
      throw error;
    }
  }

  private async closeRunner(id: string): Promise<void> {
    const runner = this.runners.get(id);
    if (runner === undefined) {
      return;
    }
    this.runners.delete(id);
    this.pendingOffsets.delete(id);
    this.resumeAll(runner);
    await runner.queue.run(async () => {
      await runner.task.close();
      await runner.committer.close();
    });
  }

  /**
   * Buffers a fetched batch in its task's partition group; the task processes it once the
   * whole fetch has been delivered ({@link onFetchDelivered}), so that records of its other
   * inputs fetched at the same time are taken in timestamp order with it. Acknowledging the
   * batch only moves the fetch position; the group's committed position follows what the task
   * processed and committed.
   */
  private async onBatch(batch: IncomingBatch): Promise<boolean> {
    if (this.stopping !== undefined) {
      return false;
    }
    try {
      const runner = await this.runnerFor(batch);
      if (!(await this.positionIsCommitted(runner, batch))) {
        return false;
      }
      if (this.runners.get(runner.task.id) !== runner) {
        return false; // dropped meanwhile (a failed commit): its re-creation reads from the commit
      }
      const first = batch.records[0];
      if (first !== undefined && !runner.firstFetched.has(batch.topic)) {
        runner.firstFetched.set(batch.topic, first.offset);
      }
      const repeated = runner.input.add(batch.topic, batch.records, fetchedUpTo(batch));
      if (repeated > 0) {
        this.logger.warn(
          { task: runner.task.id, topic: batch.topic, first: first?.offset, repeated },
          'skipping records this task already has (redelivered after a rebalance)',
        );
      }
      if (runner.input.buffered(batch.topic) >= this.bufferLimit && this.consumer !== undefined) {
        this.consumer.pause({ topic: batch.topic, partition: batch.partition });
        runner.paused.add(batch.topic);
      }
      return true;
    } catch (error) {
      // A task that cannot be created (its restore failed): the batch is not acknowledged.
      void this.fail(error);
      throw error;
    }
  }

  private get bufferLimit(): number {
    return this.options.bufferedRecordsPerPartition ?? 5_000;
  }

  /** A fetch has been delivered: every task with buffered records or a new position processes. */
  private onFetchDelivered(): void {
    for (const runner of this.runners.values()) {
      if (runner.input.size > 0 || this.uncommittedPositions(runner).length > 0) {
        this.scheduleDrain(runner);
      }
    }
  }

  private scheduleDrain(runner: TaskRunner): void {
    if (runner.drainQueued || this.stopping !== undefined) {
      return;
    }
    runner.drainQueued = true;
    runner.queue
      .run(async () => {
        runner.drainQueued = false;
        await this.drain(runner);
      })
      .catch((error: unknown) => {
        // The failure policy said `fail`, or a broker error outlived the client's retries:
        // nothing of the drain was committed, so its records are reprocessed by the next owner.
        void this.fail(error);
      });
  }

  /**
   * Processes what the task's partition group releases, a slice at a time, yielding to the
   * event loop between slices, and commits when {@link commitDue}.
   */
  private async drain(runner: TaskRunner): Promise<void> {
    for (;;) {
      if (this.runners.get(runner.task.id) !== runner || this.stopping !== undefined) {
        return;
      }
      const records = runner.input.take(Date.now(), recordsPerSlice);
      this.resumeDrained(runner);
      if (records.length > 0) {
        await runner.task.process(records);
        runner.uncommittedRecords += records.length;
      }
      const drained = records.length < recordsPerSlice;
      if (this.commitDue(runner, drained) && !(await this.commit(runner))) {
        return;
      }
      if (records.length === 0) {
        return;
      }
      await yieldToEventLoop();
    }
  }

  /**
   * Whether the task should commit now (`drained`: its input has nothing more to take now).
   * At-least-once: when drained or every {@link recordsPerSend} records, so outputs leave as
   * they are made (the positions follow every `commitIntervalMs`). Exactly-once: once per
   * `commitIntervalMs`, sooner when it has processed many records or its stores' caches are
   * full. A transaction per fetch would be a dozen broker round trips and a marker per
   * partition for every few hundred records; one per interval also lets the write cache fold
   * a hot key's updates into one changelog record.
   */
  private commitDue(runner: TaskRunner, drained: boolean): boolean {
    if (!this.hasUncommittedWork(runner)) {
      return false;
    }
    if (runner.task.state?.wantsCommit() === true) {
      return true;
    }
    return this.guarantee === 'at-least-once'
      ? drained || runner.uncommittedRecords >= recordsPerSend
      : Date.now() - runner.lastCommitAt >= this.commitIntervalMs ||
          runner.uncommittedRecords >= maxUncommittedRecords;
  }

  private hasUncommittedWork(runner: TaskRunner): boolean {
    return runner.uncommittedRecords > 0 || this.uncommittedPositions(runner).length > 0;
  }

  private get commitIntervalMs(): number {
    return this.options.commitIntervalMs ?? 1_000;
  }

  /** The positions the task reached since its last commit, as offsets for the group. */
  private uncommittedPositions(runner: TaskRunner): TopicPartitionOffset[] {
    const changed: TopicPartitionOffset[] = [];
    for (const { topic, offset } of runner.input.positions()) {
      if (runner.committed.get(topic) !== offset) {
        changed.push({ topic, partition: runner.task.partition, offset: String(offset) });
      }
    }
    return changed;
  }

  private resumeDrained(runner: TaskRunner): void {
    for (const topic of runner.paused) {
      if (runner.input.buffered(topic) < this.bufferLimit / 2) {
        runner.paused.delete(topic);
        this.consumer?.resume({ topic, partition: runner.task.partition });
      }
    }
  }

  private resumeAll(runner: TaskRunner): void {
    for (const topic of runner.paused) {
      this.consumer?.resume({ topic, partition: runner.task.partition });
    }
    runner.paused.clear();
  }

  /**
   * Exactly-once: the first batch of each source partition of a new task must start at the
   * committed offset. kafkajs read that offset when the partition was assigned, possibly before
   * this task's producer fenced an older owner that was still committing; if the committed
   * offset moved since, reading on would process committed records twice, so seek to it.
   */
  private async positionIsCommitted(runner: TaskRunner, batch: IncomingBatch): Promise<boolean> {
    if (this.guarantee !== 'exactly-once' || runner.checked.has(batch.topic)) {
      return true;
    }
    const first = batch.records[0]?.offset;
    const committed = await this.client.committedOffset(this.options.applicationId, batch);
    if (first !== undefined && committed !== undefined && BigInt(first) < BigInt(committed)) {
      this.logger.warn(
        { task: runner.task.id, topic: batch.topic, fetched: first, committed },
        'fetched below the committed offset (an older owner committed late): seeking',
      );
      this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: committed });
      return false;
    }
    runner.checked.add(batch.topic);
    return true;
  }

  /**
   * Commits the task's work since the last commit (records processed, timers fired), with the
   * positions it reached; false when the task had to be re-created.
   */
  private async commit(runner: TaskRunner): Promise<boolean> {
    const { task } = runner;
    const offsets = this.uncommittedPositions(runner);
    const processed = runner.uncommittedRecords;
    runner.uncommittedRecords = 0;
    runner.lastCommitAt = Date.now();
    const { records, changelog, outputs, letters } = await this.takeWork(task);
    let receipt;
    try {
      receipt = await runner.committer.commit({ records, changelog, offsets });
    } catch (error) {
      task.state?.discardUncommitted();
      if (runner.committer.guarantee === 'exactly-once') {
        await this.recreate(runner, error);
        return false;
      }
      await task.reloadTimers();
      this.handleProductionFailure(task, error);
      this.positionsCommitted(runner, offsets);
      return true;
    }
    await task.state?.completeCommit(receipt);
    this.positionsCommitted(runner, offsets);
    this.counters.processed += processed;
    this.counters.produced += outputs.length;
    if (letters.length > 0) {
      this.counters.deadLettered += letters.length;
      this.logger.warn(
        { task: task.id, count: letters.length, first: errorMessage(letters[0]?.error) },
        `sent ${letters.length} records to ${this.deadLetterTopic}`,
      );
    }
    return true;
  }

  /**
   * The positions are part of the task's commit. Exactly-once: they were committed in its
   * transaction. At-least-once: they are committed for the group after the outputs and
   * changelog records they cover were acknowledged, every `commitIntervalMs`.
   */
  private positionsCommitted(runner: TaskRunner, offsets: readonly TopicPartitionOffset[]): void {
    for (const { topic, offset } of offsets) {
      runner.committed.set(topic, BigInt(offset));
    }
    if (this.guarantee === 'exactly-once' || offsets.length === 0) {
      return;
    }
    let pending = this.pendingOffsets.get(runner.task.id);
    if (pending === undefined) {
      pending = new Map();
      this.pendingOffsets.set(runner.task.id, pending);
    }
    for (const offset of offsets) {
      pending.set(offset.topic, offset);
    }
    void this.flushOffsets(false);
  }

  /** At-least-once: commits the pending positions for the group (at most one call at a time). */
  private flushOffsets(force: boolean): Promise<void> {
    const interval = this.commitIntervalMs;
    if (
      this.pendingOffsets.size === 0 ||
      (!force && Date.now() - this.lastOffsetFlush < interval)
    ) {
      return this.offsetFlush;
    }
    const offsets = [...this.pendingOffsets.values()].flatMap((perTopic) => [...perTopic.values()]);
    this.pendingOffsets.clear();
    this.lastOffsetFlush = Date.now();
    this.offsetFlush = this.offsetFlush.then(async () => {
      try {
        await this.consumer?.commitOffsets(offsets);
      } catch (error) {
        // A rebalance under way refuses the commit: the next owner reads these records again,
        // which at-least-once allows and the stores recognise (state/appliedPositions.ts).
        this.logger.warn({ err: error, partitions: offsets.length }, 'offset commit failed');
      }
    });
    return this.offsetFlush;
  }

  /** The task's work since its last commit, as the records to send: outputs, changelog, DLQ. */
  private async takeWork(task: Task): Promise<{
    records: OutgoingRecord[];
    changelog: OutgoingRecord[];
    outputs: OutgoingRecord[];
    letters: DeadLetter[];
  }> {
    await task.flush();
    const outputs = await this.serializer.serialize(task.takeOutputs(), (output, error) =>
      task.failed({ raw: output.source, stage: 'processing', error }),
    );
    outputs.push(...task.takeRawOutputs());
    const letters: DeadLetter[] = task.takeDeadLetters();
    const records = [
      ...outputs,
      ...letters.map((letter) => deadLetterRecord(letter, this.deadLetterTopic)),
    ];
    const changelog = task.state?.prepareCommit(Date.now()) ?? [];
    return { records, changelog, outputs, letters };
  }

  /**
   * Processing-time timers: every `timerTickMs`, each task whose earliest timer the wall clock
   * has reached fires its due timers through its queue (between batches, never inside one) and
   * commits what they did.
   */
  private startTick(): void {
    const timed = this.topology.subTopologies.some((sub) =>
      sub.nodes.some((node) => node.kind === 'processor' && node.timers !== undefined),
    );
    this.timerTick = setInterval(() => {
      if (timed) {
        this.fireWallClockTimers();
      }
      // An input that holds its task back is released by time too (maxTaskIdleMs,
      // waitForWritersMs), and work
      // a task did since its last commit is committed once the interval has passed.
      for (const runner of this.runners.values()) {
        if (runner.input.waiting || this.commitDue(runner, true)) {
          this.scheduleDrain(runner);
        }
      }
      void this.flushOffsets(false);
    }, this.options.timerTickMs ?? 100);
  }

  private fireWallClockTimers(): void {
    const now = Date.now();
    if (this.state !== 'running') {
      return; // tasks may be about to move; their timers fire wherever they land
    }
    for (const runner of this.runners.values()) {
      const id = runner.task.id;
      if (this.ticking.has(id) || runner.task.nextProcessingTimer() > now) {
        continue;
      }
      this.ticking.add(id);
      void runner.queue
        .run(async () => {
          if (this.runners.get(id) === runner && (await runner.task.fireProcessingTimers()) > 0) {
            // Committed at once, with whatever the task processed since its last commit: the
            // timers' outputs and the inputs' share one transaction.
            await this.commit(runner);
          }
        })
        .catch((error: unknown) => void this.fail(error))
        .finally(() => this.ticking.delete(id));
    }
  }

  /**
   * An exactly-once commit failed and its outcome is unknown: drop the task (its producer,
   * uncommitted state and buffered records) and rewind every input to the committed offset;
   * the next batch re-creates the task from what is committed.
   */
  private async recreate(runner: TaskRunner, error: unknown): Promise<void> {
    const { task } = runner;
    this.logger.warn(
      { err: error, task: task.id },
      'commit failed (outcome unknown): re-creating the task from its committed state',
    );
    this.runners.delete(task.id);
    this.resumeAll(runner);
    await task.close().catch(() => undefined);
    await runner.committer.close().catch(() => undefined);
    const sub = this.topology.subTopologyOf(runner.input.topics[0] ?? '');
    for (const topic of sub?.sources.keys() ?? []) {
      const partition = { topic, partition: task.partition };
      const committed = await this.client.committedOffset(this.options.applicationId, partition);
      const offset = committed ?? runner.firstFetched.get(topic);
      if (offset !== undefined) {
        this.consumer?.seek({ ...partition, offset });
      }
    }
    // A task with state also runs without input (timers, queries): create it again now.
    this.createStatefulTask(task.id);
  }

  /**
   * A fetch held only transaction markers: the position moves past them, and the next drain
   * commits it (an offsets-only commit) so the group's lag can reach zero.
   */
  private onSkipped(position: {
    topic: string;
    partition: number;
    nextOffset: string;
    highWatermark: string;
  }): void {
    const sub = this.topology.subTopologyOf(position.topic);
    const runner = this.runners.get(`${sub?.id ?? '?'}_${position.partition}`);
    if (runner === undefined || this.stopping !== undefined) {
      return; // no task yet: its first batch's commit moves the offset
    }
    runner.input.skip(position.topic, fetchedUpTo(position));
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

type TopicPartitionOffset = TopicPartition & { readonly offset: string };

function fetchedUpTo(fetch: { nextOffset: string; highWatermark: string }): FetchedUpTo {
  return { nextOffset: BigInt(fetch.nextOffset), highWatermark: BigInt(fetch.highWatermark) };
}

/** Lets the event loop run what is waiting (I/O callbacks, timers) before the next slice. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
