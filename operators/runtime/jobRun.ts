import type { Logger } from 'pino';

import type {
  ConsumerSession,
  IncomingBatch,
  RecordProducer,
  StreamClient,
} from '../connectors/kafka/streamClient.js';
import type { SchemaCatalog } from '../serdes/serde.js';
import type { CacheBudget } from '../state/caching/cacheBudget.js';
import type { TaskStore } from '../state/taskStore.js';
import type { VectorStore } from '../vectors/vectorStore.js';
import { withTimeout } from '../support/withTimeout.js';
import type { ProcessingGuarantee } from './committer.js';
import { decide, errorMessage, type FailurePolicy } from './failurePolicy.js';
import { GlobalStateManager } from './globalStateManager.js';
import { GroupPositions, type TopicPartitionOffset } from './groupPositions.js';
import { deadLetterRecord, OutputSerializer } from './outputSerializer.js';
import type { OutgoingRecord } from './rawRecord.js';
import { prepareTopics } from './jobTopics.js';
import type { FetchedUpTo } from './partitionGroup.js';
import type { StreamJobOptions } from './streamJobOptions.js';
import type { DeadLetter, Task } from './task.js';
import type { RestoreReport } from './taskState.js';
import { takeSliceTurn } from './sliceTurns.js';
import type { ArrivalDelays } from '../monitoring/arrivalDelays.js';
import type { RunResources } from './runResources.js';
import {
  createTaskRunner,
  recordsPerSlice,
  type TaskRunner,
  type TaskSource,
} from './taskRunner.js';
import type { SubTopology, Topology } from './topology.js';

/** At-least-once: records a task processes before it sends their outputs, at most. */
const recordsPerSend = 2_000;

/**
 * Exactly-once: records a task may process before it commits whatever the interval, bounding
 * the work a failed commit redoes and the outputs held in memory.
 */
const maxUncommittedRecords = 20_000;

/** The key of the global tables in {@link JobRunHost.closing}. */
const globalTablesKey = '<global tables>';

/** What a run needs from the {@link StreamJob} that starts it, and what it tells it. */
export interface JobRunHost extends RunResources {
  /** The schema catalog the pipeline's serdes were configured with. */
  readonly schemas: SchemaCatalog;
  /** Advertised to the group: where this instance answers interactive queries. */
  readonly queryEndpoint: string | undefined;
  /** Counters that outlive a run: the job's totals. */
  readonly counters: { processed: number; produced: number; deadLettered: number };
  /** Where fetched batches of the measured topics are noted as they arrive. */
  readonly arrivals: ArrivalDelays | undefined;
  readonly restores: RestoreReport[];
  /**
   * Stores being closed by earlier runs, per task id (and {@link globalTablesKey}): RocksDB
   * allows one open handle per directory, so a run waits for these before opening its own.
   */
  readonly closing: Map<string, Promise<void>>;
  /** The group is rebalancing: the run's tasks may move. */
  onRebalancing(): void;
  /** The group assigned this member its partitions: the run is processing. */
  onAssigned(): void;
  /** The run failed (called once): the job decides whether to start another or stop. */
  onFailure(error: Error): void;
}

/**
 * One run of a job from its committed state: one consumer-group member, its producers, the
 * global tables and the tasks the group assigns it. A run never recovers by itself: when
 * anything under it fails (a broker gone for longer than the client's retries, a fenced
 * producer, a record whose policy says fail) it tells its host once and is abandoned; the
 * {@link StreamJob} decides whether to start another. What the run had not committed is
 * dropped, exactly as a crash would drop it, so a new run is the path the chaos harness
 * already proves correct under kill -9.
 *
 * A task buffers what each fetch brings for its source partitions and takes it in timestamp
 * order across them (runtime/partitionGroup.ts). What it takes is committed: outputs,
 * changelog records and dead letters, then (at-least-once) the positions by the consumer, or
 * (exactly-once) all of it in one transaction of the task's own producer, every
 * `commitIntervalMs` while the task has work.
 */
export class JobRun {
  private readonly host: JobRunHost;
  private readonly options: StreamJobOptions;
  private readonly topology: Topology;
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
  private producer: RecordProducer | undefined;
  private consumer: ConsumerSession | undefined;
  private globalState: GlobalStateManager | undefined;
  /** The first failure of this run; set, the run only winds down. */
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;
  /** Whether the group has assigned this member its partitions (and no rebalance is under way). */
  private assignedAndRunning = false;
  /** The tasks of this instance's last assignment (some may still be being created). */
  private assigned = new Set<string>();
  private timerTick: NodeJS.Timeout | undefined;
  /** Tasks whose processing-time timers are being fired, so a slow one is not queued twice. */
  private readonly ticking = new Set<string>();
  private readonly counters: JobRunHost['counters'];
  /** At-least-once: the positions the tasks' commits reached, committed for the group. */
  private readonly groupPositions: GroupPositions;

  constructor(host: JobRunHost) {
    this.host = host;
    this.options = host.options;
    this.topology = host.topology;
    this.client = host.client;
    this.logger = host.logger;
    this.policy = host.policy;
    this.guarantee = this.options.guarantee ?? 'at-least-once';
    this.budget = host.budget;
    this.stateDir = host.stateDir;
    this.counters = host.counters;
    this.groupPositions = new GroupPositions({
      intervalMs: this.commitIntervalMs,
      commit: (offsets) => this.consumer?.commitOffsets(offsets) ?? Promise.resolve(),
      logger: this.logger,
    });
  }

  /** The first failure of this run, if it failed. */
  get failed(): Error | undefined {
    return this.failure;
  }

  get deadLetterTopic(): string {
    return `${this.options.applicationId}.dlq`;
  }

  /** The task's instance of `store`, when this run has the task (created and restored). */
  localStore(taskId: string, store: string): TaskStore | undefined {
    return this.runners.get(taskId)?.task.state?.store(store);
  }

  /** The task's vector store, when this run has the task (created, restored, its index open). */
  localVectorStore(taskId: string, store: string): VectorStore | undefined {
    return this.runners.get(taskId)?.task.vectorStoreOf(store);
  }

  /** Whether the group assigned the task to this member. */
  isAssigned(taskId: string): boolean {
    return this.assigned.has(taskId);
  }

  /** The run's current tasks and their operators' counters. */
  taskStats(): { tasks: string[]; operatorCounters: Record<string, number> } {
    const operatorCounters: Record<string, number> = {};
    for (const { task } of this.runners.values()) {
      for (const [metric, value] of task.counters) {
        operatorCounters[metric] = (operatorCounters[metric] ?? 0) + value;
      }
    }
    return { operatorCounters, tasks: [...this.runners.keys()].sort() };
  }

  /**
   * Validates topics, creates internal ones, loads the global tables, joins the group; resolves
   * once consuming. Rejects (and the caller abandons the run) when any of it fails.
   */
  async start(): Promise<void> {
    try {
      await this.startMember();
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  private async startMember(): Promise<void> {
    await prepareTopics({
      client: this.client,
      topology: this.topology,
      deadLetterTopic: this.deadLetterTopic,
    });
    // Global tables are loaded before joining the group: no task ever sees a partial one. A
    // previous run may still be closing them.
    await this.host.closing.get(globalTablesKey);
    this.globalState = await GlobalStateManager.start({
      applicationId: this.options.applicationId,
      tables: this.options.pipeline.globalTables,
      stateDir: this.stateDir,
      client: this.client,
      environment: { schemas: this.host.schemas },
      logger: this.logger,
      onError: (error) => this.fail(error),
    });
    this.producer = await this.client.producer();
    const queryEndpoint = this.host.queryEndpoint;
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
        if (this.failure === undefined && this.stopping === undefined) {
          this.assignedAndRunning = false;
          this.host.onRebalancing();
        }
        void this.groupPositions.flush(true);
      },
      onAssigned: (assignment) => this.onAssigned(assignment),
      onCrash: (error) => this.fail(error),
      onRestarting: (error) =>
        this.logger.warn(
          { err: error },
          'consumer lost the broker or its group: it rejoins and resumes from the committed offsets',
        ),
      onSkipped: (position) => this.onSkipped(position),
      onFetchDelivered: () => this.onFetchDelivered(),
    });
    this.startTick();
  }

  /**
   * Stops gracefully: finishes the batches in flight, commits, leaves the group, closes tasks.
   * A run that failed commits nothing: the work since the last commit includes what failed.
   * Each step that talks to the broker gives up after `stepTimeoutMs` (the broker may be the
   * reason for the stop), so a stop always ends.
   */
  stop(stepTimeoutMs: number): Promise<void> {
    this.stopping ??= this.shutdown(stepTimeoutMs);
    return this.stopping;
  }

  private async shutdown(stepTimeoutMs: number): Promise<void> {
    clearInterval(this.timerTick);
    const failed = this.failure !== undefined;
    const started = Date.now();
    const step = (what: string): void =>
      this.logger.info(
        { ms: Date.now() - started },
        `${failed ? 'abandoning run' : 'stopping'}: ${what}`,
      );
    const bounded = <T>(what: string, work: Promise<T>): Promise<void> =>
      withTimeout(work, stepTimeoutMs, what).then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error }, `${what} failed`),
      );
    // No drain starts once stopping; commit what each task did since its last commit, while
    // this instance is still a member.
    // The tasks commit side by side, within one step's time all together: a broker that does
    // not answer would otherwise cost a step's time per task.
    const runners = failed ? [] : [...this.runners.values()];
    await bounded(
      'final commits',
      Promise.all(
        runners.map((runner) =>
          runner.queue.run(async () => {
            // Requests still being answered are answered, and their replies sent, first.
            await runner.task.settleInFlight();
            if (this.runners.get(runner.task.id) === runner && this.hasUncommittedWork(runner)) {
              await this.commit(runner);
            }
          }),
        ),
      ),
    );
    step('tasks idle and committed');
    if (!failed) {
      await bounded('offset commit', this.groupPositions.flush(true));
    }
    await bounded('leaving the group', this.consumer?.stop() ?? Promise.resolve());
    step('left the group');
    // A close that outlasts this step goes on: the next run waits for it (host.closing).
    await bounded(
      'task close',
      Promise.all([...this.runners.keys()].map((id) => this.closeRunner(id, failed))),
    );
    step('tasks closed');
    const globalClosed = this.globalState?.stop(this.logger) ?? Promise.resolve();
    this.host.closing.set(
      globalTablesKey,
      globalClosed.catch(() => undefined),
    );
    await bounded('global tables close', globalClosed);
    await bounded('producer close', this.producer?.close() ?? Promise.resolve());
  }

  /** Records the run's first failure and tells the host; the host stops the run. */
  private fail(error: unknown): void {
    if (this.failure !== undefined || this.stopping !== undefined) {
      return;
    }
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.host.onFailure(this.failure);
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
    if (this.failure !== undefined || this.stopping !== undefined) {
      return; // an abandoned member's consumer may still join: it takes no task
    }
    this.assigned = owned;
    for (const id of [...this.runners.keys()]) {
      if (!owned.has(id)) {
        await this.closeRunner(id);
        this.logger.info({ task: id }, 'task closed (partition revoked)');
      }
    }
    this.logger.info({ tasks: [...owned].sort() }, 'partitions assigned');
    this.assignedAndRunning = true;
    this.host.onAssigned();
    for (const id of owned) {
      this.createTaskAtAssignment(id);
    }
  }

  /**
   * Creates (and restores) a task with state as soon as it is assigned, not at its partition's
   * next record: its processing-time timers must fire and its stores answer queries even when
   * no input arrives. Under exactly-once every assigned task is created at once: its producer's
   * connect fences the previous owner and aborts the transaction it left open, which would
   * otherwise hold back every read-committed reader of the topics it wrote (a repartition
   * topic's downstream task) for the transaction timeout, when the partition gets no new input.
   * Other tasks without state are created by their first batch.
   */
  private createTaskAtAssignment(id: string): void {
    const [subId, partitionText] = id.split('_');
    const sub = this.topology.subTopologies[Number(subId)];
    const eager = sub !== undefined && (sub.stores.length > 0 || this.guarantee === 'exactly-once');
    if (sub === undefined || !eager || this.runners.has(id)) {
      return;
    }
    if (this.failure !== undefined || this.stopping !== undefined) {
      return; // a run that is being given up creates nothing (its successor will)
    }
    // No batch to heartbeat with: the group hears from the fetch loop of the other partitions.
    const source = { partition: Number(partitionText), heartbeat: () => Promise.resolve() };
    void this.ensureRunner(sub, source)
      .then(async () => {
        if (!this.assigned.has(id) || this.stopping !== undefined) {
          await this.closeRunner(id); // revoked (or the job stopped) while it was restoring
        }
      })
      .catch((error: unknown) => this.fail(error));
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
      if (this.stopping !== undefined) {
        // Created while the run stopped (a producer connecting through an outage): the stop
        // closed the tasks it knew, not this one, whose producer would stay connected.
        await this.closeRunner(id, true);
        throw new Error(`task ${id} was created after its run began to stop`);
      }
      return runner;
    } finally {
      this.creating.delete(id);
    }
  }

  /** Creates a task and its runner (taskRunner.ts says how) with what this run lends it. */
  private async createRunner(sub: SubTopology, source: TaskSource): Promise<TaskRunner> {
    const producer = this.producer;
    if (producer === undefined) {
      throw new Error('the job has no producer; was start() awaited?');
    }
    return createTaskRunner(
      {
        options: this.options,
        topology: this.topology,
        client: this.client,
        logger: this.logger,
        policy: this.policy,
        budget: this.budget,
        stateDir: this.stateDir,
        guarantee: this.guarantee,
        producer,
        globalState: this.globalState,
        closing: this.host.closing,
        onRestored: (report) => {
          this.host.restores.push(report);
          this.options.onRestore?.(report);
        },
        roundMark: () => this.consumer?.roundMark() ?? { passed: () => true },
        onConcurrentSettled: (id) => this.onConcurrentSettled(id),
      },
      sub,
      source,
    );
  }

  /**
   * Closes the task after the batch or commit it has under way. `discard`: the run failed, so
   * what the task did since its last commit is dropped before its stores close (a crash drops
   * it too; the next owner redoes it from the committed positions). The close is registered
   * with the host until it ends, so a later run of this job opens the task's stores only once
   * these are closed, even when the close outlasts the run's stop.
   */
  private async closeRunner(id: string, discard = false): Promise<void> {
    const runner = this.runners.get(id);
    if (runner === undefined) {
      return;
    }
    this.runners.delete(id);
    this.groupPositions.forget(id);
    this.resumeAll(runner);
    const closed = runner.queue.run(async () => {
      if (discard) {
        runner.task.state?.discardUncommitted();
      }
      await runner.task.close();
      await runner.committer.close();
    });
    const settled: Promise<void> = closed
      .catch(() => undefined)
      .finally(() => {
        if (this.host.closing.get(id) === settled) {
          this.host.closing.delete(id);
        }
      });
    this.host.closing.set(id, settled);
    await closed;
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
    this.host.arrivals?.record(batch.topic, batch.records, Date.now());
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
      this.fail(error);
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

  /** A request handler's work settled after its slice: its outputs go at the next commit. */
  private onConcurrentSettled(id: string): void {
    const runner = this.runners.get(id);
    if (runner !== undefined) {
      this.scheduleDrain(runner);
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
        this.fail(error);
      });
  }

  /**
   * Processes what the task's partition group releases, a slice at a time, each in a turn of
   * the event loop of its own (sliceTurns.ts), and commits when {@link commitDue}.
   */
  private async drain(runner: TaskRunner): Promise<void> {
    for (;;) {
      await takeSliceTurn();
      if (this.runners.get(runner.task.id) !== runner || this.stopping !== undefined) {
        return;
      }
      const records = runner.input.take(Date.now(), recordsPerSlice);
      this.resumeDrained(runner);
      if (records.length > 0) {
        await runner.task.process(records);
        runner.uncommittedRecords += records.length;
      }
      await runner.task.settleCompleted();
      const drained = records.length < recordsPerSlice;
      if (this.commitDue(runner, drained) && !(await this.commit(runner))) {
        return;
      }
      if (records.length === 0) {
        return;
      }
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
    return (
      runner.uncommittedRecords > 0 ||
      runner.task.hasOutputs() ||
      this.uncommittedPositions(runner).length > 0
    );
  }

  private get commitIntervalMs(): number {
    return this.options.commitIntervalMs ?? 1_000;
  }

  /** The positions the task reached since its last commit, as offsets for the group. */
  private uncommittedPositions(runner: TaskRunner): TopicPartitionOffset[] {
    const changed: TopicPartitionOffset[] = [];
    for (const position of runner.input.positions()) {
      const { topic } = position;
      // Not past a request still being answered: a crash must redo it.
      const held = runner.task.earliestInFlight(topic);
      const offset = held !== undefined && held < position.offset ? held : position.offset;
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
      await task.reloadDerivedState();
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
    if (this.guarantee === 'at-least-once') {
      this.groupPositions.reached(runner.task.id, offsets);
    }
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
      void this.groupPositions.flush(false);
    }, this.options.timerTickMs ?? 100);
  }

  private fireWallClockTimers(): void {
    const now = Date.now();
    if (!this.assignedAndRunning) {
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
        .catch((error: unknown) => this.fail(error))
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
    // A task with state also runs without input (timers, queries), and an exactly-once task
    // fences its previous producer: create it again now.
    this.createTaskAtAssignment(task.id);
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

function fetchedUpTo(fetch: { nextOffset: string; highWatermark: string }): FetchedUpTo {
  return { nextOffset: BigInt(fetch.nextOffset), highWatermark: BigInt(fetch.highWatermark) };
}
