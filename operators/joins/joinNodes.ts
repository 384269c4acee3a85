import type { ChangeFeed } from '../aggregation/change.js';
import type { StreamRecord } from '../api/record.js';
import type { GlobalTable } from '../dsl/globalTable.js';
import type { AnySerde, PipelineGraph } from '../dsl/graph.js';
import type { TopicSerdes } from '../dsl/stream.js';
import type { Serde } from '../serdes/serde.js';
import { nullable } from '../serdes/basicSerdes.js';
import { passThroughOperator } from '../stateless/passThrough.js';
import {
  keyValueStore,
  type StoreBackend,
  type StoreDefinition,
  type StoreSpec,
} from '../state/storeDefinition.js';
import { GlobalTableJoinOperator } from './globalTableJoinOperator.js';
import {
  StreamTableJoinOperator,
  type TableJoinKind,
  type ValueJoiner,
} from './streamTableJoinOperator.js';
import { TableSourceOperator } from './tableSourceOperator.js';
import { WindowedJoinOperator } from './windowedJoinOperator.js';

/**
 * The graph nodes of tables and joins. The DSL classes (`Pipeline`, `Stream`) call these and
 * wrap the resulting node names in their own types, so this module never imports them.
 */

/** What a node declares of a store it reads or writes (its spec, without the serdes). */
export function storeSpecOf(store: StoreSpec): StoreSpec {
  return { name: store.name, backend: store.backend, changelog: store.changelog };
}

/** Source `<name>-source` reading `topic`, then the materializing node `<name>` and its store. */
export function addTableSource<TKey, TValue>(
  graph: PipelineGraph,
  topic: string,
  options: {
    name: string;
    serdes: TopicSerdes<TKey, TValue>;
    backend?: StoreBackend;
    /** Set when the table is grouped again: its operator then sends its changes. */
    changes?: ChangeFeed;
  },
): StoreDefinition<TKey, TValue> {
  const store = keyValueStore({
    name: options.name,
    key: options.serdes.key,
    value: options.serdes.value,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  const source = `${options.name}-source`;
  graph.add({
    kind: 'source',
    name: source,
    topics: [{ kind: 'external', name: topic }],
    keySerde: options.serdes.key as AnySerde,
    // Tombstones must reach the table (they delete) instead of failing deserialization.
    valueSerde: nullable(options.serdes.value) as AnySerde,
  });
  graph.add({
    kind: 'processor',
    name: options.name,
    parents: [source],
    createOperator: () => new TableSourceOperator(store, options.changes),
    description: `table ${topic}`,
    stores: [storeSpecOf(store)],
  });
  return store;
}

/** A stream–table join node: it declares the table's store, which puts it in the table's task. */
export function addTableJoin<TKey, TValue, TTableValue, TResult>(
  graph: PipelineGraph,
  parent: string,
  join: {
    name: string;
    table: StoreDefinition<TKey, TTableValue>;
    joiner: ValueJoiner<TKey, TValue, TTableValue | undefined, TResult>;
    kind: TableJoinKind;
  },
): void {
  graph.add({
    kind: 'processor',
    name: join.name,
    parents: [parent],
    createOperator: () => new StreamTableJoinOperator(join),
    description: `${join.kind === 'inner' ? 'join' : 'leftJoin'} table ${join.table.name}`,
    stores: [storeSpecOf(join.table)],
  });
}

/** A stream–global-table join node: no store of its own, so it stays where the stream is. */
export function addGlobalTableJoin<TKey, TValue, TGlobalKey, TGlobalValue, TResult>(
  graph: PipelineGraph,
  parent: string,
  join: {
    name: string;
    table: GlobalTable<TGlobalKey, TGlobalValue>;
    keySelector: (record: StreamRecord<TKey, TValue>) => TGlobalKey | null;
    joiner: ValueJoiner<TKey, TValue, TGlobalValue | undefined, TResult>;
    kind: TableJoinKind;
  },
): void {
  graph.add({
    kind: 'processor',
    name: join.name,
    parents: [parent],
    createOperator: () => new GlobalTableJoinOperator(join),
    description: `${join.kind === 'inner' ? 'join' : 'leftJoin'} global table ${join.table.name}`,
  });
}

/** Options of a stream–table join. @category DSL */
export interface JoinOptions {
  /** Names the join's node (it keeps no state of its own). */
  readonly name: string;
}

/** Options of a stream–global-table join. @category DSL */
export interface GlobalJoinOptions<TKey, TValue, TGlobalKey> extends JoinOptions {
  /** The global table's key to look up for a record (`null`: none; no output for an inner join). */
  readonly key: (record: StreamRecord<TKey, TValue>) => TGlobalKey | null;
}

/** Options of a windowed stream–stream join. @category DSL */
export interface WindowedJoinOptions<TKey, TValue, TOther> {
  /** Names the join's nodes and its two buffers (`<name>-this-buffer`, `<name>-other-buffer`). */
  readonly name: string;
  /** A record of this stream at `t` joins the other's records in [t - beforeMs, t + afterMs]. */
  readonly beforeMs: number;
  readonly afterMs: number;
  /** How long after a record's window ends a late record is still accepted. Default 0. */
  readonly graceMs?: number;
  /** Serdes of the buffers: the common key and each side's values. */
  readonly serdes: {
    readonly key: Serde<TKey>;
    readonly value: Serde<TValue>;
    readonly otherValue: Serde<TOther>;
  };
  readonly backend?: StoreBackend;
}

/**
 * A windowed join: one node per side (`<name>-this`, `<name>-other`), each reading one input
 * and sharing both buffers, and the node `<name>` where their results merge. Two nodes rather
 * than one node with two parents: a node cannot tell which parent a record came from, and a tag
 * on every record would cost an allocation per record; a node per side knows its side.
 */
export function addWindowedJoin<TKey, TValue, TOther, TResult>(
  graph: PipelineGraph,
  parents: { readonly this: string; readonly other: string },
  join: WindowedJoinOptions<TKey, TValue, TOther> & {
    joiner: ValueJoiner<TKey, TValue, TOther, TResult>;
  },
): void {
  const graceMs = join.graceMs ?? 0;
  for (const [what, ms] of [
    ['beforeMs', join.beforeMs],
    ['afterMs', join.afterMs],
    ['graceMs', graceMs],
  ] as const) {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new Error(`join ${join.name}: ${what} must be a non-negative integer, got ${ms}`);
    }
  }
  const backend = join.backend === undefined ? {} : { backend: join.backend };
  const thisStore = keyValueStore({
    name: `${join.name}-this-buffer`,
    key: join.serdes.key,
    value: join.serdes.value,
    ...backend,
  });
  const otherStore = keyValueStore({
    name: `${join.name}-other-buffer`,
    key: join.serdes.key,
    value: join.serdes.otherValue,
    ...backend,
  });
  const stores = [storeSpecOf(thisStore), storeSpecOf(otherStore)];
  const common = {
    name: join.name,
    keySerde: join.serdes.key,
    clockStore: thisStore.name,
    graceMs,
  };
  const thisSide = {
    ...common,
    own: { store: thisStore.name, serde: join.serdes.value },
    found: { store: otherStore.name, serde: join.serdes.otherValue },
    beforeMs: join.beforeMs,
    afterMs: join.afterMs,
    join: join.joiner,
  };
  // Seen from the other side the window is mirrored: b joins a when a - before <= b <= a + after.
  const otherSide = {
    ...common,
    own: { store: otherStore.name, serde: join.serdes.otherValue },
    found: { store: thisStore.name, serde: join.serdes.value },
    beforeMs: join.afterMs,
    afterMs: join.beforeMs,
    join: (own: TOther, found: TValue, key: TKey) => join.joiner(found, own, key),
  };
  graph.add({
    kind: 'processor',
    name: `${join.name}-this`,
    parents: [parents.this],
    createOperator: () => new WindowedJoinOperator(thisSide),
    description: `join window this [-${join.beforeMs}, +${join.afterMs}] grace ${graceMs}`,
    stores,
  });
  graph.add({
    kind: 'processor',
    name: `${join.name}-other`,
    parents: [parents.other],
    createOperator: () => new WindowedJoinOperator(otherSide),
    description: `join window other [-${join.afterMs}, +${join.beforeMs}] grace ${graceMs}`,
    stores,
  });
  graph.add({
    kind: 'processor',
    name: join.name,
    parents: [`${join.name}-this`, `${join.name}-other`],
    createOperator: () => passThroughOperator<unknown, unknown>(),
    description: 'join merge',
  });
}
