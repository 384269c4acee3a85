import type { StreamRecord } from '../api/record.js';
import {
  aggregateAggregation,
  countAggregation,
  reduceAggregation,
  type Aggregation,
} from '../aggregation/aggregation.js';
import type { Serde } from '../serdes/serde.js';
import type { StoreBackend } from '../state/storeDefinition.js';
import { FixedWindowAggregateOperator } from '../windowing/fixedWindowAggregateOperator.js';
import { SessionWindowAggregateOperator } from '../windowing/sessionWindowAggregateOperator.js';
import { SlidingWindowAggregateOperator } from '../windowing/slidingWindowAggregateOperator.js';
import type { EmitMode } from '../windowing/windowedAggregateOperator.js';
import type { SessionWindows, Windows } from '../windowing/windows.js';
import type { AnyOperator } from './graph.js';
import type { Stream, TopicSerdes } from './stream.js';
import { WindowedTable } from './windowedTable.js';

/** Session windows retract merged sessions with `null`; the others never emit null. */
export type WindowedValue<TWindows extends Windows, TAggregate> = TWindows extends SessionWindows
  ? TAggregate | null
  : TAggregate;

/** Options every windowed aggregation takes. @category DSL */
export interface WindowedAggregateStepOptions {
  /** Names the operator and its store (`<applicationId>-<name>-changelog`). */
  readonly name: string;
  /** `update` (default): forward every change; `close`: forward each window once, when it closes. */
  readonly emit?: EmitMode;
  readonly backend?: StoreBackend;
  /**
   * Tumbling and hopping windows: how long the changelog keeps a window beyond its size and
   * grace (default one day, as Kafka Streams' `windowstore.changelog.additional.retention.ms`).
   * Closed windows leave the changelog by this retention, not by tombstones; a window whose
   * stream time stalls longer than this after its last update is not restored.
   */
  readonly changelogAdditionalRetentionMs?: number;
}

/** Default of {@link WindowedAggregateStepOptions.changelogAdditionalRetentionMs}: one day. */
export const defaultChangelogAdditionalRetentionMs = 24 * 3_600_000;

/**
 * A grouped stream cut into event-time windows, ready to aggregate.
 *
 * @category DSL
 */
export class WindowedGroupedStream<TKey, TValue, TWindows extends Windows> {
  private readonly grouped: Stream<TKey, TValue>;
  private readonly serdes: TopicSerdes<TKey, TValue>;
  private readonly windows: TWindows;

  /** @internal */
  constructor(grouped: Stream<TKey, TValue>, serdes: TopicSerdes<TKey, TValue>, windows: TWindows) {
    this.grouped = grouped;
    this.serdes = serdes;
    this.windows = windows;
  }

  count(
    options: WindowedAggregateStepOptions,
  ): WindowedTable<TKey, TValue, WindowedValue<TWindows, number>> {
    return this.add(countAggregation<TKey, TValue>(), options);
  }

  reduce(
    reducer: (aggregate: TValue, value: TValue) => TValue,
    options: WindowedAggregateStepOptions,
  ): WindowedTable<TKey, TValue, WindowedValue<TWindows, TValue>> {
    return this.add(reduceAggregation<TKey, TValue>(reducer, this.serdes.value), options);
  }

  aggregate<TAggregate>(
    options: WindowedAggregateStepOptions & {
      readonly initializer: () => TAggregate;
      readonly adder: (
        aggregate: TAggregate,
        value: TValue,
        record: StreamRecord<TKey, TValue>,
      ) => TAggregate;
      /** Required for session windows: combines two sessions' aggregates. */
      readonly merger?: (left: TAggregate, right: TAggregate) => TAggregate;
      readonly serde: Serde<TAggregate>;
    },
  ): WindowedTable<TKey, TValue, WindowedValue<TWindows, TAggregate>> {
    return this.add(aggregateAggregation(options), options);
  }

  private add<TAggregate, TResult>(
    aggregation: Aggregation<TKey, TValue, TAggregate>,
    options: WindowedAggregateStepOptions,
  ): WindowedTable<TKey, TValue, TResult> {
    const { grouped, windows, serdes } = this;
    const common = {
      storeName: options.name,
      keySerde: serdes.key,
      aggregation,
      emit: options.emit ?? 'update',
    };
    const createOperator = (): AnyOperator => {
      switch (windows.kind) {
        case 'fixed':
          return new FixedWindowAggregateOperator({ ...common, windows });
        case 'sliding':
          return new SlidingWindowAggregateOperator({
            ...common,
            windows,
            valueSerde: serdes.value,
          });
        case 'session':
          return new SessionWindowAggregateOperator({ ...common, windows });
      }
    };
    if (windows.kind === 'session' && aggregation.merge === undefined) {
      throw new Error(`session windows of ${options.name} need a merger (aggregate({ merger }))`);
    }
    grouped.graph.add({
      kind: 'processor',
      name: options.name,
      parents: [grouped.node],
      createOperator,
      description: `${windows.kind} window ${aggregation.description}${common.emit === 'close' ? ', emit at close' : ''}`,
      stores: [
        {
          name: options.name,
          backend: options.backend ?? 'rocksdb',
          changelog: true,
          ...(windows.kind === 'fixed'
            ? {
                changelogRetentionMs:
                  windows.sizeMs +
                  windows.graceMs +
                  (options.changelogAdditionalRetentionMs ?? defaultChangelogAdditionalRetentionMs),
              }
            : {}),
        },
      ],
    });
    return new WindowedTable(grouped.graph, options.name);
  }
}
