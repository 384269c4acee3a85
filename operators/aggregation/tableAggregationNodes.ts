import type { AnyOperator, AnySerde, PipelineGraph } from '../dsl/graph.js';
import type { Serde } from '../serdes/serde.js';
import type { StoreBackend, StoreDefinition } from '../state/storeDefinition.js';
import { changeSerde, changesOutput, type ChangeFeed } from './change.js';
import type { TableAggregation } from './tableAggregation.js';
import { TableAggregateOperator } from './tableAggregateOperator.js';
import { TableGroupByOperator, type KeyValue } from './tableGroupByOperator.js';

/**
 * The graph nodes of a table re-aggregation; the DSL (`Table.groupBy`, `GroupedTable`) wraps
 * their names in its types, so this module never imports the DSL classes.
 *
 * `<name>-select` reads the table's changes and maps them to groups; its changes go through
 * the internal topic `<applicationId>-<name>-repartition` (old and new values on the wire:
 * {@link changeSerde}) to the tasks that own the groups, where the aggregation node keeps one
 * aggregate per group. Always repartitioned: a row's group is not its table key.
 */
export function addTableGroupBy<TKey, TValue, TNewKey, TNewValue>(
  graph: PipelineGraph,
  table: { readonly node: string; readonly changes: ChangeFeed },
  options: {
    readonly name: string;
    readonly selector: (key: TKey, value: TValue) => KeyValue<TNewKey, TNewValue>;
    readonly serdes: { readonly key: Serde<TNewKey>; readonly value: Serde<TNewValue> };
  },
): string {
  table.changes.wanted = true;
  const select = `${options.name}-select`;
  const operator = (): AnyOperator =>
    new TableGroupByOperator({
      name: options.name,
      selector: options.selector,
      keySerde: options.serdes.key,
    });
  graph.add({
    kind: 'processor',
    name: select,
    parents: [table.node],
    fromOutput: changesOutput,
    createOperator: operator,
    description: 'table groupBy',
  });
  const suffix = `${options.name}-repartition`;
  const topic = { kind: 'internal' as const, suffix };
  const keySerde = options.serdes.key as AnySerde;
  const valueSerde = changeSerde(options.serdes.value) as AnySerde;
  graph.add({
    kind: 'sink',
    name: `${suffix}-sink`,
    parents: [select],
    topic,
    keySerde,
    valueSerde,
  });
  graph.add({ kind: 'source', name: `${suffix}-source`, topics: [topic], keySerde, valueSerde });
  return `${suffix}-source`;
}

/** The aggregation node `<name>` and its store (changelogged); returns both for the table. */
export function addTableAggregate<TKey, TValue, TAggregate>(
  graph: PipelineGraph,
  parent: string,
  options: {
    readonly name: string;
    readonly backend?: StoreBackend;
    readonly keySerde: Serde<TKey>;
    readonly aggregation: TableAggregation<TKey, TValue, TAggregate>;
  },
): { store: StoreDefinition<TKey, TAggregate>; changes: ChangeFeed } {
  const changes: ChangeFeed = { wanted: false };
  const store: StoreDefinition<TKey, TAggregate> = {
    name: options.name,
    key: options.keySerde,
    value: options.aggregation.serde,
    backend: options.backend ?? 'rocksdb',
    changelog: true,
  };
  graph.add({
    kind: 'processor',
    name: options.name,
    parents: [parent],
    createOperator: () =>
      new TableAggregateOperator({
        storeName: options.name,
        keySerde: options.keySerde,
        aggregation: options.aggregation,
        changes,
      }),
    description: options.aggregation.description,
    stores: [{ name: store.name, backend: store.backend, changelog: store.changelog }],
  });
  return { store, changes };
}
