import type { OperatorContext } from '../api/operator.js';
import { StreamRecord } from '../api/record.js';
import type { AnyOperator, AnyRecord, GraphNode, SinkNode, SourceNode } from '../dsl/graph.js';
import { headerText, requestErrorCodes, requestHeaders } from '../requestReply/protocol.js';
import { refusalDetail, refusalOf, type ReplyTopicRules } from '../requestReply/replyTopicRules.js';
import { UndeliverableReplyError } from '../requestReply/undeliverableReply.js';
import type { SerdeContext } from '../serdes/serde.js';
import { inputPositionOf, originHeader, originOf } from '../state/appliedPositions.js';
import { KeyValueState } from '../state/keyValueState.js';
import type { GlobalStores } from '../state/readOnlyStore.js';
import type { TaskStore } from '../state/taskStore.js';
import { TimerStore, undeclaredTimers, type DueTimer } from '../timers/timerStore.js';
import type { TimerKind } from '../timers/timers.js';
import { VectorStore } from '../vectors/vectorStore.js';
import {
  decide,
  errorMessage,
  RecordFailedError,
  type FailurePolicy,
  type FailureStage,
} from './failurePolicy.js';
import { deadLetterRecord } from './outputSerializer.js';
import type { OutgoingRecord, RawRecord, ReplyOrigin } from './rawRecord.js';
import type { TaskState } from './taskState.js';
import type { SubTopology, Topology } from './topology.js';
import { isTransient } from './transientErrors.js';

/** A record a sink received, not yet serialized: serialization happens per batch at flush. */
export interface PendingOutput {
  readonly sink: SinkNode;
  readonly topic: string;
  readonly record: AnyRecord;
  /** The input record it came from, for failure reporting. */
  readonly source: RawRecord;
  /** From a reply sink: the request it answers (dead-lettered if the reply cannot go out). */
  readonly reply?: ReplyOrigin;
}

/** A record to send to the dead-letter topic. */
export interface DeadLetter {
  readonly raw: RawRecord;
  readonly stage: FailureStage;
  readonly error: unknown;
  readonly taskId: string;
}

/** Something that can take a record: an operator node or a sink. */
interface Receiver {
  receive(record: AnyRecord): void | Promise<void>;
  /** The operator's {@link Operator.prefetch}, where it has one. */
  prefetch?(records: readonly AnyRecord[]): Promise<void>;
}

/** A node whose operator has timers: what firing one needs. */
interface TimerNode {
  readonly operator: AnyOperator;
  readonly context: OperatorContext<unknown, unknown, unknown>;
  readonly timers: TimerStore<unknown>;
}

/**
 * At-least-once only: a concurrent operator's work (a request handler's) may go on after its
 * slice ends. The task takes its next records at once instead of waiting for the slice's
 * slowest handler, and each output is sent at the next commit after it is made: a reply waits
 * for its own handler, not for its neighbours'. The committed position stops at the earliest
 * input still in flight, so a crash redoes it (at least once). Exactly-once cannot: a
 * transaction holds the outputs of every offset it commits.
 */
export interface OutlivingSlices {
  /** Inputs in flight at most; the next input waits for one to settle. */
  readonly maxInFlight: number;
  /** Told whenever an input's concurrent work settles (its outputs are ready to send). */
  readonly onSettled: () => void;
}

/** Header of the stand-in input of a timer's outputs, naming the timer's kind (dead letters). */
export const timerHeader = 'reelstream.timer';

/** Header of the stand-in input of an update held until the commit, naming its node. */
export const heldHeader = 'reelstream.held';

/**
 * One partition of one sub-topology: the operator instances for that partition, and the loop
 * that runs a batch of raw records through them. The chain of synchronous operators runs without
 * a promise per record; an operator that returns a promise is awaited before the next record,
 * which keeps per-partition order.
 */
export class Task {
  readonly id: string;
  readonly partition: number;
  private readonly subTopology: SubTopology;
  private readonly topology: Topology;
  private readonly policy: FailurePolicy;
  private readonly clock: () => number;
  /** The task's state stores; undefined when its operators declare none. */
  readonly state: TaskState | undefined;
  /** The job's global tables; undefined when the pipeline has none. */
  private readonly globalStores: GlobalStores | undefined;
  private readonly operators = new Map<string, AnyOperator>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly sourceChildren = new Map<string, Receiver[]>();
  /** Source topics whose source has an operator that reads ahead ({@link prefetch}). */
  private readonly prefetchingTopics = new Set<string>();
  /** The serde contexts of each source topic, made once. */
  private readonly serdeContexts = new Map<string, { key: SerdeContext; value: SerdeContext }>();
  private readonly timerStores = new Map<string, TimerStore<unknown>>();
  /** The task's vector stores by name: each keeps a FAISS index of its store in memory. */
  private readonly vectorStores = new Map<string, VectorStore>();
  /** Nodes with timers, upstream first: timers of one time fire node by node in this order. */
  private readonly timerNodes: TimerNode[] = [];
  /** Nodes whose operators hold updates until the commit, upstream first: see {@link flush}. */
  private readonly holdingNodes: { name: string; operator: AnyOperator; children: Receiver[] }[] =
    [];
  private outputs: PendingOutput[] = [];
  /**
   * For sinks with `latestPerKey`: where in {@link outputs} the last record of each (sink, key)
   * since the last take is, so a newer one replaces it.
   */
  private latestOutput = new Map<string, number>();
  private deadLetters: DeadLetter[] = [];
  private pending: Promise<void>[] = [];
  /** Promises of concurrent operators, awaited at the end of the batch. */
  private concurrent: Promise<void>[] = [];
  /**
   * With {@link OutlivingSlices}: inputs whose concurrent operator has not settled yet, by
   * {@link inputId}, each with the promise that settles with it.
   */
  private readonly inFlight = new Map<string, { raw: RawRecord; settled: Promise<void> }>();
  private readonly outliving: OutlivingSlices | undefined;
  /** The first failure of work in flight that the failure policy did not absorb. */
  private concurrentFailure: { error: unknown } | undefined;
  /** Records already serialized by the task itself (error replies to bad requests). */
  private rawOutputs: OutgoingRecord[] = [];
  private currentInput: RawRecord | undefined;
  /** The batch's records by offset, so late (concurrent) outputs find their input. */
  private batchByOffset: Map<string, RawRecord> | undefined;
  private readonly hasConcurrentNodes: boolean;
  private maxTimestamp = Number.NEGATIVE_INFINITY;
  /** Counters operators keep through `ctx.count` (late records, …). */
  readonly counters = new Map<string, number>();
  /** Records skipped by a `continue` decision, per stage. */
  readonly skipped = { deserialization: 0, processing: 0, production: 0 };
  /**
   * At-least-once: tell the stores which input record is being processed, and stamp records
   * sent to repartition topics with their origin, so replays after a crash are recognised
   * (state/appliedPositions.ts).
   */
  private readonly tracksReplays: boolean;
  /** How many records the current input sent to repartition topics so far. */
  private originIndex = 0;

  constructor(options: {
    topology: Topology;
    subTopology: SubTopology;
    partition: number;
    policy: FailurePolicy;
    clock: () => number;
    state?: TaskState;
    globalStores?: GlobalStores;
    /** At-least-once: recognise replayed records (see {@link tracksReplays}). */
    tracksReplays?: boolean;
    /** At-least-once: concurrent work outlives its slice (see {@link OutlivingSlices}). */
    outlivingSlices?: OutlivingSlices;
  }) {
    this.tracksReplays = options.tracksReplays === true;
    this.outliving = options.outlivingSlices;
    this.state = options.state;
    this.globalStores = options.globalStores;
    this.topology = options.topology;
    this.subTopology = options.subTopology;
    this.partition = options.partition;
    this.policy = options.policy;
    this.clock = options.clock;
    this.id = `${this.subTopology.id}_${this.partition}`;
    this.hasConcurrentNodes = this.subTopology.nodes.some(
      (n) => n.kind === 'processor' && n.concurrentWithinBatch === true,
    );
    for (const node of this.subTopology.nodes) {
      if (node.kind === 'processor' && node.timers !== undefined && this.state !== undefined) {
        const store = this.state.store(node.timers.store);
        this.timerStores.set(node.name, new TimerStore({ store, key: node.timers.keySerde }));
      }
      if (node.kind === 'processor' && this.state !== undefined) {
        for (const definition of node.vectorStores ?? []) {
          if (!this.vectorStores.has(definition.name)) {
            const store = this.state.store(definition.name);
            this.vectorStores.set(definition.name, new VectorStore({ store, definition }));
          }
        }
      }
    }
    // Build receivers from the sinks upwards so each node's children exist before it does.
    for (const node of [...this.subTopology.nodes].reverse()) {
      this.build(node);
    }
    this.timerNodes.reverse();
    for (const [topic, source] of this.subTopology.sources) {
      const children = this.sourceChildren.get(source.name) ?? [];
      if (children.some((child) => child.prefetch !== undefined)) {
        this.prefetchingTopics.add(topic);
      }
    }
    for (const node of this.subTopology.nodes) {
      const operator = this.operators.get(node.name);
      if (operator?.takeHeld !== undefined) {
        this.holdingNodes.push({
          name: node.name,
          operator,
          children: this.childReceivers(node.name),
        });
      }
    }
  }

  /** The task's vector store `name` (its FAISS index open once `init` resolved). */
  vectorStoreOf(name: string): VectorStore | undefined {
    return this.vectorStores.get(name);
  }

  async init(): Promise<void> {
    await this.reloadTimers();
    await this.openVectorStores();
    for (const [name, operator] of this.operators) {
      await operator.init?.(this.contextFor(name));
    }
  }
  /**
   * Reads the timers of every node from their stores again: at the start, and after the
   * stores dropped their uncommitted writes (the in-memory queues had them).
   */
  async reloadTimers(): Promise<void> {
    for (const timers of this.timerStores.values()) {
      await timers.init();
    }
  }

  /**
   * After the stores dropped their uncommitted writes: what the task keeps in memory beside
   * them (timer queues, vector indexes) is made equal to them again.
   */
  async reloadDerivedState(): Promise<void> {
    await this.reloadTimers();
    for (const vectors of this.vectorStores.values()) {
      await vectors.resync();
    }
  }

  /** Each vector store's index: from its snapshot when it fits the checkpoint, else rebuilt. */
  private async openVectorStores(): Promise<void> {
    for (const [name, vectors] of this.vectorStores) {
      const file = this.state?.derivedFile(name, 'faiss');
      const tag = this.state?.checkpointTag(name, 'opened') ?? 'none';
      await vectors.open(file === undefined ? undefined : { file, tag });
    }
  }

  /**
   * After the stores closed: each vector store's index is written beside the checkpoint the
   * close wrote, for the next open (a failed write only costs that open a rebuild), and freed.
   */
  private closeVectorStores(): void {
    for (const [name, vectors] of this.vectorStores) {
      const file = this.state?.derivedFile(name, 'faiss');
      try {
        if (file !== undefined && this.state !== undefined) {
          vectors.writeSnapshot(file, this.state.checkpointTag(name, 'latest'));
        }
      } catch {
        // No snapshot: the next open rebuilds the index from the store.
      } finally {
        vectors.dispose();
      }
    }
    this.vectorStores.clear();
  }

  /** Runs the records (all from `topic`, in offset order) through the operators. */
  processBatch(topic: string, records: readonly RawRecord[]): Promise<void> {
    this.sourceOf(topic);
    return this.process(records);
  }

  /**
   * Runs the records through the operators in the order given: records of several source
   * topics, as the task's partition group interleaves them by timestamp.
   */
  async process(records: readonly RawRecord[]): Promise<void> {
    const byTopic = new Map<string, RawRecord[]>();
    for (const raw of records) {
      const same = byTopic.get(raw.topic);
      if (same === undefined) {
        byTopic.set(raw.topic, [raw]);
      } else {
        same.push(raw);
      }
    }
    for (const [topic, same] of byTopic) {
      const { source } = this.sourceOf(topic);
      await source.keySerde.prepareDeserialize?.(
        same.map((r) => r.key),
        { topic, isKey: true },
      );
      await source.valueSerde.prepareDeserialize?.(
        same.map((r) => r.value),
        { topic, isKey: false },
      );
    }
    if (this.hasConcurrentNodes) {
      this.batchByOffset = new Map(records.map((r) => [inputId(r), r]));
    }
    const prefetched = await this.prefetch(records);
    let topic: string | undefined;
    let source: SourceNode | undefined;
    let children: Receiver[] = [];
    for (let index = 0; index < records.length; index++) {
      const raw = records[index] as RawRecord;
      if (raw.topic !== topic || source === undefined) {
        topic = raw.topic;
        ({ source, children } = this.sourceOf(topic));
      }
      let record: AnyRecord;
      try {
        record = prefetched?.[index] ?? this.deserialize(raw, source);
      } catch (error) {
        if (source.answersBadRequests !== undefined) {
          this.replyToBadRequest(raw, error, source.answersBadRequests.replyTopics);
        }
        this.failed({ raw, stage: 'deserialization', error });
        continue;
      }
      if (raw.timestamp > this.maxTimestamp) {
        this.maxTimestamp = raw.timestamp;
      }
      if (this.outliving !== undefined && this.inFlight.size >= this.outliving.maxInFlight) {
        await this.anyInFlightSettled();
        this.throwIfConcurrentFailed();
      }
      this.currentInput = raw;
      if (this.tracksReplays) {
        this.originIndex = 0;
        if (this.state !== undefined) {
          this.state.position.current = inputPositionOf(raw);
        }
      }
      try {
        for (const child of children) {
          const result = child.receive(record);
          if (result !== undefined) {
            this.pending.push(result);
          }
        }
        if (this.pending.length > 0) {
          await this.settlePending();
        }
      } catch (error) {
        if (error instanceof RecordFailedError) {
          throw error;
        }
        this.failed({ raw, stage: 'processing', error });
      }
      if (this.timerIsDue('eventTime', this.maxTimestamp)) {
        await this.fireTimers('eventTime', this.maxTimestamp);
      }
    }
    this.currentInput = undefined;
    if (this.state !== undefined) {
      this.state.position.current = undefined;
    }
    if (this.concurrent.length > 0) {
      const concurrent = this.concurrent;
      this.concurrent = [];
      await Promise.all(concurrent);
      await this.settlePending();
    }
    this.batchByOffset = undefined;
  }

  /** The record as its source's serdes read it; throws what they throw. */
  private deserialize(raw: RawRecord, source: SourceNode): AnyRecord {
    let contexts = this.serdeContexts.get(raw.topic);
    if (contexts === undefined) {
      contexts = {
        key: { topic: raw.topic, isKey: true },
        value: { topic: raw.topic, isKey: false },
      };
      this.serdeContexts.set(raw.topic, contexts);
    }
    return StreamRecord.of({
      key: source.keySerde.deserialize(raw.key, contexts.key),
      value: source.valueSerde.deserialize(raw.value, contexts.value),
      timestamp: raw.timestamp,
      headers: raw.headers,
      origin: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
    });
  }

  /**
   * Where operators fed straight by a source read ahead ({@link Operator.prefetch}): the
   * records deserialized once for them and for processing (undefined where one failed, left
   * for processing to report), after their reads. Undefined when no such operator reads these
   * records.
   */
  private async prefetch(
    records: readonly RawRecord[],
  ): Promise<(AnyRecord | undefined)[] | undefined> {
    if (this.prefetchingTopics.size === 0) {
      return undefined;
    }
    let decoded: (AnyRecord | undefined)[] | undefined;
    const byReceiver = new Map<Receiver, AnyRecord[]>();
    for (let index = 0; index < records.length; index++) {
      const raw = records[index] as RawRecord;
      if (!this.prefetchingTopics.has(raw.topic)) {
        continue;
      }
      const { source, children } = this.sourceOf(raw.topic);
      decoded ??= new Array<AnyRecord | undefined>(records.length);
      let record: AnyRecord;
      try {
        record = this.deserialize(raw, source);
      } catch {
        continue;
      }
      decoded[index] = record;
      for (const child of children) {
        if (child.prefetch !== undefined) {
          const list = byReceiver.get(child);
          if (list === undefined) {
            byReceiver.set(child, [record]);
          } else {
            list.push(record);
          }
        }
      }
    }
    const reads: Promise<void>[] = [];
    for (const [receiver, list] of byReceiver) {
      reads.push(receiver.prefetch?.(list).catch(() => undefined) ?? Promise.resolve());
    }
    await Promise.all(reads);
    return decoded;
  }

  /**
   * With {@link OutlivingSlices}: the offset of `topic`'s earliest input whose concurrent work
   * has not settled, which the task's committed position must not pass (undefined: none).
   */
  earliestInFlight(topic: string): bigint | undefined {
    let earliest: bigint | undefined;
    for (const { raw } of this.inFlight.values()) {
      if (raw.topic === topic) {
        const offset = BigInt(raw.offset);
        if (earliest === undefined || offset < earliest) {
          earliest = offset;
        }
      }
    }
    return earliest;
  }

  /** Throws the first failure of work in flight that the failure policy did not absorb. */
  private throwIfConcurrentFailed(): void {
    if (this.concurrentFailure !== undefined) {
      throw this.concurrentFailure.error;
    }
  }

  /** Whether the task holds records to send: outputs, error replies or dead letters. */
  hasOutputs(): boolean {
    return this.outputs.length > 0 || this.rawOutputs.length > 0 || this.deadLetters.length > 0;
  }

  /**
   * Settles what the work that completed since the last call forwarded to asynchronous
   * operators, and throws its failure if the policy did not absorb it.
   */
  async settleCompleted(): Promise<void> {
    await this.settlePending();
    this.throwIfConcurrentFailed();
  }

  /** Resolves once every input's concurrent work has settled (before a final commit). */
  async settleInFlight(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight.values()].map((work) => work.settled));
    }
    await this.settlePending();
    this.throwIfConcurrentFailed();
  }

  private async anyInFlightSettled(): Promise<void> {
    await Promise.race([...this.inFlight.values()].map((work) => work.settled));
  }

  /** The earliest processing-time timer of the task (+Infinity without one): the job's tick. */
  nextProcessingTimer(): number {
    return Math.min(
      Number.POSITIVE_INFINITY,
      ...this.timerNodes.map((n) => n.timers.nextDue('processingTime')),
    );
  }

  /**
   * Fires the processing-time timers the wall clock has reached; their outputs and state
   * changes wait for the next commit like a batch's. Returns how many fired.
   */
  fireProcessingTimers(): Promise<number> {
    const now = this.clock();
    return this.timerIsDue('processingTime', now)
      ? this.fireTimers('processingTime', now)
      : Promise.resolve(0);
  }

  /**
   * Before a commit: the updates operators held back (aggregations with `emit: 'onCommit'`) are
   * applied and forwarded downstream, node by node upstream first, so a holding node below
   * another receives its updates before it is flushed itself. Each update's failure is
   * attributed to a stand-in input whose header names the node and the update's last input.
   * Then each vector store's index is maintained (trained, or rebuilt of its tombstones).
   */
  async flush(): Promise<void> {
    for (const node of this.holdingNodes) {
      for (const update of node.operator.takeHeld?.() ?? []) {
        // Offset -1, as for timers: no input position to stamp on repartitioned records.
        const { record } = update;
        const origin = record?.origin;
        const raw: RawRecord = {
          topic: node.name,
          partition: this.partition,
          offset: '-1',
          key: update.keyBytes,
          value: null,
          timestamp: record?.timestamp ?? Math.max(this.maxTimestamp, 0),
          headers: {
            [heldHeader]:
              origin === undefined
                ? node.name
                : `${node.name} (last input ${origin.topic}-${origin.partition}@${origin.offset})`,
          },
        };
        this.currentInput = raw;
        try {
          update.apply();
          if (record !== undefined) {
            for (const child of node.children) {
              const result = child.receive(record);
              if (result !== undefined) {
                this.pending.push(result);
              }
            }
            await this.settlePending();
          }
        } catch (error) {
          this.pending = [];
          if (error instanceof RecordFailedError) {
            throw error;
          }
          this.failed({ raw, stage: 'processing', error });
        } finally {
          this.currentInput = undefined;
        }
      }
    }
    for (const vectors of this.vectorStores.values()) {
      await vectors.maintain();
    }
  }

  /** Takes the records the task serialized itself since the last call. */
  takeRawOutputs(): OutgoingRecord[] {
    const outputs = this.rawOutputs;
    this.rawOutputs = [];
    return outputs;
  }

  /** Takes the records the sinks collected since the last call. */
  takeOutputs(): PendingOutput[] {
    const outputs = this.outputs;
    this.outputs = [];
    this.latestOutput = new Map();
    return outputs;
  }

  /** Takes the dead letters collected since the last call. */
  takeDeadLetters(): DeadLetter[] {
    const letters = this.deadLetters;
    this.deadLetters = [];
    return letters;
  }

  /** Applies the failure policy to a record that failed at `stage`; throws when it says `fail`. */
  failed(failure: { raw: RawRecord; stage: FailureStage; error: unknown }): void {
    // The registry or broker did not answer (a schema lookup, say): the record is not at
    // fault, so it is not dead-lettered; the job starts again from its last commit.
    if (isTransient(failure.error)) {
      throw failure.error;
    }
    // A reply that cannot be delivered is never the job's failure, whatever the policy: its
    // request goes to the dead-letter topic in the reply's place, counted and logged (rate-
    // limited) where the job sends it (requestReply/replyGuard.ts).
    if (failure.error instanceof UndeliverableReplyError) {
      const letter: DeadLetter = {
        raw: failure.raw,
        stage: 'production',
        error: failure.error,
        taskId: this.id,
      };
      this.rawOutputs.push(deadLetterRecord(letter, `${this.topology.applicationId}.dlq`));
      return;
    }
    const context = {
      stage: failure.stage,
      error: failure.error,
      origin: {
        topic: failure.raw.topic,
        partition: failure.raw.partition,
        offset: failure.raw.offset,
      },
      taskId: this.id,
    };
    switch (decide(this.policy, context)) {
      case 'continue':
        this.skipped[failure.stage] += 1;
        return;
      case 'deadLetter':
        this.deadLetters.push({ ...failure, taskId: this.id });
        return;
      case 'fail':
        throw new RecordFailedError(context);
    }
  }

  /** Closes the operators and the stores; uncommitted state is dropped (commit first). */
  async close(): Promise<void> {
    // Stateless operators are shared between tasks and have no close.
    for (const operator of this.operators.values()) {
      await operator.close?.();
    }
    await this.state?.close();
    this.closeVectorStores();
  }

  /** Starts the operator on the record without making the next record wait for it. */
  private runConcurrently(
    operator: AnyOperator,
    record: AnyRecord,
    context: OperatorContext<unknown, unknown, unknown>,
  ): undefined {
    const raw = this.currentInput;
    const result = operator.process(record, context);
    if (result === undefined || raw === undefined) {
      return undefined;
    }
    const settled = result.catch((error: unknown) =>
      this.failed({ raw, stage: 'processing', error }),
    );
    const outliving = this.outliving;
    if (outliving === undefined) {
      this.concurrent.push(settled);
      return undefined;
    }
    const id = inputId(raw);
    this.inFlight.set(id, {
      raw,
      // A failure the policy does not absorb (a transient one, or `fail`) is kept for the
      // job's next step to throw ({@link throwIfConcurrentFailed}): nothing awaits this.
      settled: settled
        .catch((error: unknown) => {
          this.concurrentFailure ??= { error };
        })
        .finally(() => {
          this.inFlight.delete(id);
          outliving.onSettled();
        }),
    });
    return undefined;
  }

  /**
   * An error reply for a request whose bytes cannot be read, when it says where to reply and
   * that topic is one `rules` allow.
   */
  private replyToBadRequest(raw: RawRecord, error: unknown, rules: ReplyTopicRules): void {
    const correlationId = headerText(raw.headers[requestHeaders.correlationId]);
    const replyTo = headerText(raw.headers[requestHeaders.replyTo]);
    if (correlationId === undefined || replyTo === undefined) {
      return;
    }
    const refusal = refusalOf(replyTo, rules);
    if (refusal !== undefined) {
      const undeliverable = new UndeliverableReplyError({
        reason: refusal,
        replyTo,
        detail: refusalDetail(refusal),
      });
      this.failed({ raw, stage: 'production', error: undeliverable });
      return;
    }
    this.rawOutputs.push({
      reply: { request: raw, taskId: this.id },
      topic: replyTo,
      key: raw.key,
      value: null,
      timestamp: this.clock(),
      headers: {
        [requestHeaders.correlationId]: correlationId,
        [requestHeaders.errorCode]: requestErrorCodes.badRequest,
        [requestHeaders.errorMessage]: errorMessage(error),
      },
    });
  }

  private timerIsDue(kind: TimerKind, now: number): boolean {
    return this.timerNodes.some((node) => node.timers.nextDue(kind) <= now);
  }

  private async fireTimers(kind: TimerKind, upTo: number): Promise<number> {
    let fired = 0;
    for (const node of this.timerNodes) {
      fired += await node.timers.fireDue({
        kind,
        upTo,
        fire: (due) => this.runTimer(node, due),
      });
    }
    return fired;
  }

  /**
   * Runs one timer's `onTimer` to completion, downstream operators included. Its outputs and
   * failures are attributed to a stand-in input record: the timer's key bytes and time, "read"
   * from its timer store, so the failure policy and dead letters work as for any record.
   */
  private async runTimer(node: TimerNode, due: DueTimer): Promise<void> {
    const raw: RawRecord = {
      topic: node.timers.storeName,
      partition: this.partition,
      offset: '-1',
      key: due.keyBytes,
      value: null,
      timestamp: due.timestamp,
      headers: { [timerHeader]: due.kind },
    };
    const interrupted = this.currentInput;
    const interruptedPosition = this.state?.position.current;
    this.currentInput = raw;
    if (this.state !== undefined) {
      this.state.position.current = undefined; // a timer is no input record: nothing to dedup
    }
    try {
      const timer = {
        key: node.timers.keyOf(due.keyBytes),
        timestamp: due.timestamp,
        kind: due.kind,
      };
      const result = node.operator.onTimer?.(timer, node.context);
      if (result !== undefined) {
        await result;
      }
      await this.settlePending();
    } catch (error) {
      if (error instanceof RecordFailedError) {
        throw error;
      }
      this.failed({ raw, stage: 'processing', error });
    } finally {
      this.currentInput = interrupted;
      if (this.state !== undefined) {
        this.state.position.current = interruptedPosition;
      }
    }
  }

  private async settlePending(): Promise<void> {
    // An awaited operator may forward to another async operator: drain until quiet.
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }

  private build(node: GraphNode): void {
    switch (node.kind) {
      case 'source':
        this.sourceChildren.set(node.name, this.childReceivers(node.name));
        return;
      case 'sink':
        this.receivers.set(node.name, this.sinkReceiver(node));
        return;
      case 'processor': {
        const operator = node.createOperator();
        this.operators.set(node.name, operator);
        const context = this.contextFor(node.name);
        const timers = this.timerStores.get(node.name);
        if (timers !== undefined) {
          this.timerNodes.push({ operator, context, timers });
        }
        if (node.concurrentWithinBatch === true) {
          this.receivers.set(node.name, {
            receive: (record) => this.runConcurrently(operator, record, context),
          });
        } else {
          this.receivers.set(node.name, {
            receive: (record) => operator.process(record, context),
            ...(operator.prefetch === undefined
              ? {}
              : {
                  prefetch: (records) => operator.prefetch?.(records, context) ?? Promise.resolve(),
                }),
          });
        }
        return;
      }
    }
  }

  private childReceivers(name: string, output?: string): Receiver[] {
    return this.topology.graph.childrenOnOutput(name, output).map((child) => {
      const receiver = this.receivers.get(child.name);
      if (receiver === undefined) {
        throw new Error(`node ${child.name} was not built before its parent ${name}`);
      }
      return receiver;
    });
  }

  private contextFor(name: string): OperatorContext<unknown, unknown, unknown> {
    let main: Receiver[] | undefined;
    const side = new Map<string, Receiver[]>();
    const receiversOf = (output: string | undefined): Receiver[] => {
      if (output === undefined) {
        main ??= this.childReceivers(name);
        return main;
      }
      let receivers = side.get(output);
      if (receivers === undefined) {
        receivers = this.childReceivers(name, output);
        side.set(output, receivers);
      }
      return receivers;
    };
    const stateStore = (store: string): TaskStore => {
      if (this.state === undefined) {
        throw new Error(`operator ${name} uses state store "${store}" but declares no stores`);
      }
      return this.state.store(store);
    };
    return {
      taskId: this.id,
      forward: (record, output) => {
        for (const child of receiversOf(output)) {
          const result = child.receive(record);
          if (result !== undefined) {
            this.pending.push(result);
          }
        }
      },
      stateStore,
      globalStore: (table) => {
        if (this.globalStores === undefined) {
          throw new Error(`operator ${name} uses global table "${table}" but the job has none`);
        }
        return this.globalStores.store(table);
      },
      count: (metric, by = 1) => {
        this.counters.set(metric, (this.counters.get(metric) ?? 0) + by);
      },
      keyValueStore: (definition) => new KeyValueState(stateStore(definition.name), definition),
      vectorStore: (definition) => {
        const vectors = this.vectorStores.get(definition.name);
        if (vectors === undefined) {
          throw new Error(
            `operator ${name} uses vector store "${definition.name}" but does not declare it; pass it in \`stores\` of process()`,
          );
        }
        return vectors;
      },
      streamTime: () => this.maxTimestamp,
      wallClockTime: () => this.clock(),
      timers: this.timerStores.get(name) ?? undeclaredTimers(name),
    };
  }

  private sinkReceiver(sink: SinkNode): Receiver {
    return {
      receive: (record) => {
        const origin = record.origin;
        const id = origin === undefined ? undefined : inputId(origin);
        const source =
          (id === undefined
            ? undefined
            : (this.batchByOffset?.get(id) ?? this.inFlight.get(id)?.raw)) ?? this.currentInput;
        if (source === undefined) {
          throw new Error(
            `sink ${sink.name} received a record outside of processing: a record made with ` +
              'StreamRecord.of after a concurrent operator has no origin; derive it from its ' +
              'input with withKey/withValue instead',
          );
        }
        const topic =
          sink.topic.kind === 'dynamic'
            ? sink.topic.choose(record)
            : this.topology.topic(sink.topic);
        if (sink.replyTopics !== undefined) {
          this.outputs.push({
            sink,
            topic,
            record,
            source,
            reply: { request: source, taskId: this.id },
          });
          return;
        }
        if (this.tracksReplays && sink.topic.kind === 'internal' && source.offset !== '-1') {
          const origin = originOf(source, this.originIndex++);
          const stamped = record.withHeaders({ ...record.headers, [originHeader]: origin });
          this.outputs.push({ sink, topic, record: stamped, source });
          return;
        }
        if (sink.latestPerKey === true && typeof record.key === 'string') {
          const id = `${sink.name}\u0000${record.key}`;
          const at = this.latestOutput.get(id);
          if (at !== undefined) {
            this.outputs[at] = { sink, topic, record, source };
            return;
          }
          this.latestOutput.set(id, this.outputs.length);
        }
        this.outputs.push({ sink, topic, record, source });
      },
    };
  }

  private sourceOf(topic: string): { source: SourceNode; children: Receiver[] } {
    const source = this.subTopology.sources.get(topic);
    const children = this.sourceChildren.get(source?.name ?? '');
    if (source === undefined || children === undefined) {
      throw new Error(`task ${this.id} does not read topic ${topic}`);
    }
    return { source, children };
  }
}

/** Identifies an input record among a batch of several topics. */
function inputId(record: { readonly topic: string; readonly offset: string }): string {
  return `${record.topic}\u0000${record.offset}`;
}
