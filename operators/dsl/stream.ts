import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import { CommitCombinerOperator, type Combine } from '../aggregation/commitCombiner.js';
import {
  addGlobalTableJoin,
  addTableJoin,
  addWindowedJoin,
  type GlobalJoinOptions,
  type JoinOptions,
  type WindowedJoinOptions,
} from '../joins/joinNodes.js';
import type { ValueJoiner } from '../joins/streamTableJoinOperator.js';
import type { Serde } from '../serdes/serde.js';
import type { StoreSpec } from '../state/storeDefinition.js';
import { branchArmOperator } from '../stateless/branch.js';
import { filterOperator } from '../stateless/filter.js';
import { flatMapOperator } from '../stateless/flatMap.js';
import { mapOperator } from '../stateless/map.js';
import { mapValuesOperator } from '../stateless/mapValues.js';
import { passThroughOperator } from '../stateless/passThrough.js';
import { peekOperator } from '../stateless/peek.js';
import { selectKeyOperator } from '../stateless/selectKey.js';
import { timerStoreSpec, type TimerOptions } from '../timers/timers.js';
import { isVectorStoreDefinition } from '../vectors/vectorStoreSpec.js';
import { lateOutput } from '../windowing/windowedAggregateOperator.js';
import type { GlobalTable } from './globalTable.js';
import type { AnyOperator, AnySerde, PipelineGraph } from './graph.js';
import { GroupedStream } from './groupedStream.js';
import type { Table } from './table.js';

/** Optional name of a stateless step (generated when absent; stateful steps require one). */
export interface StepOptions {
  readonly name?: string;
}

/** Options of {@link Stream.to}. */
export interface SinkOptions extends StepOptions {
  /**
   * The topic is a table (compacted, read as the latest value per key): of the records one
   * commit sends, only the last per key is sent. Under exactly-once a read_committed consumer
   * sees a commit's records all at once, so the ones left out were never visible to it; a hot
   * key updated a hundred times between two commits costs one record instead of a hundred.
   * String keys only (others are all sent). Default false: every record is sent.
   */
  readonly latestPerKey?: boolean;
}

/** The serdes of a topic a stream is written to or read from. */
export interface TopicSerdes<TKey, TValue> {
  readonly key: Serde<TKey>;
  readonly value: Serde<TValue>;
}

/** How a stream is sent through an internal topic so that equal keys meet in one task. */
export interface RepartitionOptions<TKey, TValue> {
  /** Stable name: the topic is `<applicationId>-<name>-repartition`. */
  readonly name: string;
  readonly serdes: TopicSerdes<TKey, TValue>;
  /** Partitions of the internal topic; default: as many as the upstream source topic has. */
  readonly partitions?: number;
  /**
   * A combiner before the topic: the records of one key that a task sends between two of its
   * commits are merged into one, sent at the commit (`combine(earlier, later, key)`, in the
   * order they came). For updates that supersede or add up, where a hot key's many records
   * would each cross the topic and be applied downstream. It must mean downstream what the
   * records sent one by one meant. Only where the records are repartitioned (a `groupByKey`
   * of an already partitioned stream sends nothing). Default: every record is sent.
   */
  readonly combine?: Combine<TKey, TValue>;
}

/**
 * An unbounded stream of typed records. Immutable: each combinator adds a node to the pipeline
 * and returns a new stream of the resulting type, so types flow from the source's serdes to the
 * sink's, and a stream of one type cannot be written where another is expected.
 *
 * @example
 * ```ts
 * import { jsonSerde, Pipeline, stringSerde } from 'reelstream';
 *
 * interface Heartbeat { readonly videoId: string; readonly watchedMs: number }
 * const heartbeats = { key: stringSerde, value: jsonSerde<Heartbeat>() };
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('watch-heartbeats', heartbeats)
 *   .filter((hb) => hb.watchedMs > 0)
 *   .selectKey((r) => r.value.videoId)
 *   .to('heartbeats-by-video', heartbeats);
 * ```
 * @category DSL
 */
export class Stream<TKey, TValue> {
  /** @internal */ readonly graph: PipelineGraph;
  /** @internal */ readonly node: string;
  /** Whether the key was changed since the last (re)partitioning, so grouping must repartition. */
  /** @internal */ readonly keyChanged: boolean;

  /** @internal */
  constructor(graph: PipelineGraph, node: string, keyChanged: boolean) {
    this.graph = graph;
    this.node = node;
    this.keyChanged = keyChanged;
  }

  mapValues<TNewValue>(
    mapper: (value: TValue, record: StreamRecord<TKey, TValue>) => TNewValue,
    options: StepOptions = {},
  ): Stream<TKey, TNewValue> {
    return this.step('mapValues', mapValuesOperator(mapper), { ...options, keyChanged: false });
  }

  map<TNewKey, TNewValue>(
    mapper: (record: StreamRecord<TKey, TValue>) => StreamRecord<TNewKey, TNewValue>,
    options: StepOptions = {},
  ): Stream<TNewKey, TNewValue> {
    return this.step('map', mapOperator(mapper), { ...options, keyChanged: true });
  }

  filter(
    predicate: (value: TValue, record: StreamRecord<TKey, TValue>) => boolean,
    options: StepOptions = {},
  ): Stream<TKey, TValue> {
    return this.step('filter', filterOperator(predicate), { ...options, keyChanged: false });
  }

  flatMap<TNewKey, TNewValue>(
    mapper: (record: StreamRecord<TKey, TValue>) => Iterable<StreamRecord<TNewKey, TNewValue>>,
    options: StepOptions = {},
  ): Stream<TNewKey, TNewValue> {
    return this.step('flatMap', flatMapOperator(mapper), { ...options, keyChanged: true });
  }

  selectKey<TNewKey>(
    selector: (record: StreamRecord<TKey, TValue>) => TNewKey,
    options: StepOptions = {},
  ): Stream<TNewKey, TValue> {
    return this.step('selectKey', selectKeyOperator(selector), { ...options, keyChanged: true });
  }

  peek(
    action: (record: StreamRecord<TKey, TValue>) => void,
    options: StepOptions = {},
  ): Stream<TKey, TValue> {
    return this.step('peek', peekOperator(action), { ...options, keyChanged: false });
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate holds, or is dropped
   * when none does. Returns one stream per predicate, in order.
   */
  branch(
    predicates: readonly ((value: TValue, record: StreamRecord<TKey, TValue>) => boolean)[],
    options: StepOptions = {},
  ): Stream<TKey, TValue>[] {
    const base = options.name ?? this.graph.generatedName('branch');
    return predicates.map((_, arm) =>
      this.step('branch', branchArmOperator(predicates, arm), {
        name: `${base}-${arm}`,
        keyChanged: false,
      }),
    );
  }

  /** Both streams' records, interleaved as they arrive. */
  merge(other: Stream<TKey, TValue>, options: StepOptions = {}): Stream<TKey, TValue> {
    if (other.graph !== this.graph) {
      throw new Error('cannot merge streams of two different pipelines');
    }
    const name = options.name ?? this.graph.generatedName('merge');
    const createOperator = (): AnyOperator => passThroughOperator<unknown, unknown>();
    this.graph.add({
      kind: 'processor',
      name,
      parents: [this.node, other.node],
      createOperator,
      description: 'merge',
    });
    return new Stream(this.graph, name, this.keyChanged || other.keyChanged);
  }

  /**
   * Runs a custom operator (the processor API). The operator factory is called once per task so
   * each task has its own instance.
   */
  process<TNewKey, TNewValue>(
    createOperator: () => Operator<TKey, TValue, TNewKey, TNewValue>,
    options: {
      readonly name: string;
      readonly changesKey?: boolean;
      /**
       * The stores the operator reads and writes (`ctx.keyValueStore(definition)`, and
       * `ctx.vectorStore(definition)` for those declared with `vectorStore`).
       */
      readonly stores?: readonly StoreSpec[];
      /**
       * Gives the operator `ctx.timers` and `onTimer`: its timers, keyed by the stream's key,
       * live in the change-logged store `<name>-timers`.
       */
      readonly timers?: TimerOptions<TKey>;
    },
  ): Stream<TNewKey, TNewValue> {
    const timers = options.timers === undefined ? undefined : timerStoreSpec(options.name);
    const vectorStores = (options.stores ?? []).filter(isVectorStoreDefinition);
    this.graph.add({
      kind: 'processor',
      name: options.name,
      parents: [this.node],
      // The operator's own types are checked here, at the DSL; inside the graph they are erased.
      createOperator,
      description: 'process',
      stores: [
        ...(options.stores ?? []).map(({ name, backend, changelog }) => ({
          name,
          backend,
          changelog,
        })),
        ...(timers === undefined ? [] : [timers]),
      ],
      ...(timers === undefined || options.timers === undefined
        ? {}
        : { timers: { store: timers.name, keySerde: options.timers.key as AnySerde } }),
      ...(vectorStores.length === 0 ? {} : { vectorStores }),
    });
    return new Stream(this.graph, options.name, options.changesKey ?? true);
  }

  /** Writes the stream to a topic with the given serdes, which must match its key and value types. */
  to(topic: string, serdes: TopicSerdes<TKey, TValue>, options: SinkOptions = {}): void {
    this.graph.add({
      kind: 'sink',
      name: options.name ?? this.graph.generatedName('to'),
      parents: [this.node],
      topic: { kind: 'external', name: topic },
      keySerde: serdes.key as AnySerde,
      valueSerde: serdes.value as AnySerde,
      ...(options.latestPerKey === true ? { latestPerKey: true } : {}),
    });
  }

  /**
   * Sends the stream through the internal topic `<applicationId>-<name>-repartition`, so that
   * records with equal keys are processed by one task.
   */
  repartition(options: RepartitionOptions<TKey, TValue>): Stream<TKey, TValue> {
    const suffix = `${options.name}-repartition`;
    const topic = {
      kind: 'internal' as const,
      suffix,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    };
    const keySerde = options.serdes.key as AnySerde;
    const valueSerde = options.serdes.value as AnySerde;
    let sent = this.node;
    const { combine } = options;
    if (combine !== undefined) {
      sent = `${suffix}-combine`;
      this.graph.add({
        kind: 'processor',
        name: sent,
        parents: [this.node],
        // One per task: it holds the task's records until the task commits.
        createOperator: () =>
          new CommitCombinerOperator({
            combine,
            keySerde: options.serdes.key,
            topic: suffix,
          }),
        description: 'combine',
      });
    }
    this.graph.add({
      kind: 'sink',
      name: `${suffix}-sink`,
      parents: [sent],
      topic,
      keySerde,
      valueSerde,
    });
    this.graph.add({
      kind: 'source',
      name: `${suffix}-source`,
      topics: [topic],
      keySerde,
      valueSerde,
    });
    return new Stream(this.graph, `${suffix}-source`, false);
  }

  /**
   * Groups records by their key, for aggregation. When the key changed upstream (selectKey, map,
   * flatMap, process), records are first repartitioned through an internal topic named after
   * `options.name`; otherwise the stream is already partitioned by its key.
   */
  groupByKey(options: RepartitionOptions<TKey, TValue>): GroupedStream<TKey, TValue> {
    return new GroupedStream(this.keyChanged ? this.repartition(options) : this, options);
  }

  /** `selectKey(selector)` followed by `groupByKey(options)`. */
  groupBy<TNewKey>(
    selector: (record: StreamRecord<TKey, TValue>) => TNewKey,
    options: RepartitionOptions<TNewKey, TValue>,
  ): GroupedStream<TNewKey, TValue> {
    return this.selectKey(selector, { name: `${options.name}-key` }).groupByKey(options);
  }

  /**
   * Joins each record with its key's current value in `table` (inner: a key the table lacks
   * gives nothing). Only records of the stream produce output; table updates affect later
   * records. The stream must be partitioned like the table: its topic co-partitioned with the
   * table's (checked at start), and no key change since (repartition first).
   */
  join<TTableValue, TResult>(
    table: Table<TKey, TTableValue>,
    joiner: ValueJoiner<TKey, TValue, TTableValue, TResult>,
    options: JoinOptions,
  ): Stream<TKey, TResult> {
    this.assertKeyed(`join ${options.name}`, table);
    // Safe: an inner join never calls the joiner without a table value.
    const inner = joiner as ValueJoiner<TKey, TValue, TTableValue | undefined, TResult>;
    addTableJoin(this.graph, this.node, {
      ...options,
      table: table.store,
      joiner: inner,
      kind: 'inner',
    });
    return new Stream(this.graph, options.name, false);
  }

  /** As {@link join}, but a key the table lacks gives the joiner `undefined`. */
  leftJoin<TTableValue, TResult>(
    table: Table<TKey, TTableValue>,
    joiner: ValueJoiner<TKey, TValue, TTableValue | undefined, TResult>,
    options: JoinOptions,
  ): Stream<TKey, TResult> {
    this.assertKeyed(`leftJoin ${options.name}`, table);
    addTableJoin(this.graph, this.node, { ...options, table: table.store, joiner, kind: 'left' });
    return new Stream(this.graph, options.name, false);
  }

  /**
   * Joins each record with a global table's value for `options.key(record)` (inner: no value,
   * no output). Needs no co-partitioning and no repartition: every instance holds all of it.
   */
  joinGlobal<TGlobalKey, TGlobalValue, TResult>(
    table: GlobalTable<TGlobalKey, TGlobalValue>,
    joiner: ValueJoiner<TKey, TValue, TGlobalValue, TResult>,
    options: GlobalJoinOptions<TKey, TValue, TGlobalKey>,
  ): Stream<TKey, TResult> {
    const inner = joiner as ValueJoiner<TKey, TValue, TGlobalValue | undefined, TResult>;
    return this.addGlobalJoin(table, { ...options, joiner: inner, kind: 'inner' });
  }

  /** As {@link joinGlobal}, but a missing value gives the joiner `undefined`. */
  leftJoinGlobal<TGlobalKey, TGlobalValue, TResult>(
    table: GlobalTable<TGlobalKey, TGlobalValue>,
    joiner: ValueJoiner<TKey, TValue, TGlobalValue | undefined, TResult>,
    options: GlobalJoinOptions<TKey, TValue, TGlobalKey>,
  ): Stream<TKey, TResult> {
    return this.addGlobalJoin(table, { ...options, joiner, kind: 'left' });
  }

  /**
   * Inner windowed join with another stream of the same key: a record of this stream at `t`
   * joins each record of `other` in [t - beforeMs, t + afterMs], whichever arrives first; each
   * pair is emitted once, timestamped with the later of the two. Both streams must be
   * partitioned by the key (co-partitioned topics, no key change since).
   */
  joinWindowed<TOther, TResult>(
    other: Stream<TKey, TOther>,
    joiner: ValueJoiner<TKey, TValue, TOther, TResult>,
    options: WindowedJoinOptions<TKey, TValue, TOther>,
  ): WindowedJoinStream<TKey, TResult, TValue, TOther> {
    this.assertKeyed(`joinWindowed ${options.name}`, other);
    if (other.keyChanged) {
      throw new Error(
        `joinWindowed ${options.name}: the other stream's key changed since it was read; repartition it first`,
      );
    }
    addWindowedJoin(this.graph, { this: this.node, other: other.node }, { ...options, joiner });
    return new WindowedJoinStream(this.graph, options.name);
  }

  private addGlobalJoin<TGlobalKey, TGlobalValue, TResult>(
    table: GlobalTable<TGlobalKey, TGlobalValue>,
    join: GlobalJoinOptions<TKey, TValue, TGlobalKey> & {
      joiner: ValueJoiner<TKey, TValue, TGlobalValue | undefined, TResult>;
      kind: 'inner' | 'left';
    },
  ): Stream<TKey, TResult> {
    if (table.graph !== this.graph) {
      throw new Error(`join ${join.name}: the global table belongs to another pipeline`);
    }
    addGlobalTableJoin(this.graph, this.node, { ...join, table, keySelector: join.key });
    return new Stream(this.graph, join.name, this.keyChanged);
  }

  /** A join that looks its key up in local state needs records partitioned by that key. */
  private assertKeyed(what: string, other: { readonly graph: PipelineGraph }): void {
    if (other.graph !== this.graph) {
      throw new Error(`${what}: the other side belongs to another pipeline`);
    }
    if (this.keyChanged) {
      throw new Error(
        `${what}: the stream's key changed since it was read, so equal keys may be in different tasks; repartition it first (stream.repartition({ name, serdes }))`,
      );
    }
  }

  private step<TNewKey, TNewValue>(
    description: string,
    operator: Operator<TKey, TValue, TNewKey, TNewValue>,
    options: StepOptions & { keyChanged: boolean },
  ): Stream<TNewKey, TNewValue> {
    const name = options.name ?? this.graph.generatedName(description);
    // Stateless operators keep no per-task state, so one instance serves every task.
    const shared = operator as AnyOperator;
    this.graph.add({
      kind: 'processor',
      name,
      parents: [this.node],
      createOperator: () => shared,
      description,
    });
    return new Stream(this.graph, name, this.keyChanged || options.keyChanged);
  }
}

/**
 * The result of {@link Stream.joinWindowed}: the joined records, and each side's records that
 * came too late to join anything (their window ended more than `graceMs` before the join's
 * stream time), so none is dropped unseen. Late records are also counted (`lateRecords`).
 *
 * @category DSL
 */
export class WindowedJoinStream<TKey, TResult, TValue, TOther> extends Stream<TKey, TResult> {
  private readonly late = new Map<string, Stream<TKey, unknown>>();

  /** @internal */
  constructor(graph: PipelineGraph, node: string) {
    super(graph, node, false);
  }

  /** This stream's records that were late for the join: `<name>-this-late`. */
  lateRecords(): Stream<TKey, TValue> {
    return this.lateOf('this') as Stream<TKey, TValue>;
  }

  /** The other stream's records that were late for the join: `<name>-other-late`. */
  lateOtherRecords(): Stream<TKey, TOther> {
    return this.lateOf('other') as Stream<TKey, TOther>;
  }

  private lateOf(side: 'this' | 'other'): Stream<TKey, unknown> {
    let stream = this.late.get(side);
    if (stream === undefined) {
      const name = `${this.node}-${side}-late`;
      this.graph.add({
        kind: 'processor',
        name,
        parents: [`${this.node}-${side}`],
        createOperator: () => passThroughOperator<unknown, unknown>(),
        description: 'late records',
        fromOutput: lateOutput,
      });
      stream = this.graph.streamAt<TKey, unknown>(name);
      this.late.set(side, stream);
    }
    return stream;
  }
}
