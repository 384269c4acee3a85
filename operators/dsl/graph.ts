import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { ReplyTopicRules } from '../requestReply/replyTopicRules.js';
import type { Serde } from '../serdes/serde.js';
import type { StoreSpec } from '../state/storeDefinition.js';
import type { VectorStoreDefinition } from '../vectors/vectorStoreSpec.js';
import type { Stream } from './stream.js';

/** Operators inside the graph are type-erased; the typed DSL guarantees their types line up. */
export type AnyOperator = Operator<unknown, unknown, unknown, unknown>;
export type AnyRecord = StreamRecord<unknown, unknown>;
export type AnySerde = Serde<unknown>;

/** A topic name known when the pipeline is built, or an internal one derived from the job id. */
export type TopicRef =
  | { readonly kind: 'external'; readonly name: string }
  | { readonly kind: 'internal'; readonly suffix: string; readonly partitions?: number };

export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly TopicRef[];
  readonly keySerde: AnySerde;
  readonly valueSerde: AnySerde;
  /**
   * A request topic: a request that cannot be deserialized also gets an error reply, when its
   * reply-to is one of these topics.
   */
  readonly answersBadRequests?: { readonly replyTopics: ReplyTopicRules };
}

export interface ProcessorNode {
  readonly kind: 'processor';
  readonly name: string;
  readonly parents: readonly string[];
  /** Makes a fresh operator instance for each task. */
  readonly createOperator: () => AnyOperator;
  /** One line for `describe()`, e.g. `mapValues`. */
  readonly description: string;
  /**
   * The operator's promises for one batch may run at the same time (request handlers that
   * wait on I/O); by default each record's promise is awaited before the next record.
   */
  readonly concurrentWithinBatch?: boolean;
  /** The state stores its operator uses; each task opens its own instance of each. */
  readonly stores?: readonly StoreSpec[];
  /** Its operator's timers: the store that keeps them (also in `stores`) and their key serde. */
  readonly timers?: { readonly store: string; readonly keySerde: AnySerde };
  /** The vector stores among its `stores`: each task keeps an index of each in memory. */
  readonly vectorStores?: readonly VectorStoreDefinition[];
  /**
   * Which output of its (single) parent it receives: an operator forwards to a named output
   * (`ctx.forward(record, 'late')`) to reach only the children listening on it. Default: the
   * main output.
   */
  readonly fromOutput?: string;
}

export interface SinkNode {
  readonly kind: 'sink';
  readonly name: string;
  readonly parents: readonly string[];
  /** A fixed topic, or (for request/reply) one read from each record. */
  readonly topic:
    TopicRef | { readonly kind: 'dynamic'; readonly choose: (record: AnyRecord) => string };
  readonly keySerde: AnySerde;
  readonly valueSerde: AnySerde;
  /** Of the records one commit sends, only the last per key (see `SinkOptions`). */
  readonly latestPerKey?: boolean;
  /**
   * A reply sink (request/reply): its records may go only to these topics; a record for any
   * other is dead-lettered as its request, never written.
   */
  readonly replyTopics?: ReplyTopicRules;
}

export type GraphNode = SourceNode | ProcessorNode | SinkNode;

/**
 * The operator DAG a pipeline builds: nodes in insertion order, each naming its parents. Plain
 * data, so the runtime and the test driver execute the same graph.
 */
export class PipelineGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private counter = 0;
  private makeStream: ((node: string) => unknown) | undefined;

  /**
   * How tables make streams of their nodes. The pipeline provides it, so that table.ts need not
   * import stream.ts (which imports the grouped streams that make tables): no import cycle.
   */
  useStreams(make: (node: string) => unknown): void {
    this.makeStream = make;
  }

  /** A stream of the records `node` forwards (on its main output). */
  streamAt<TKey, TValue>(node: string): Stream<TKey, TValue> {
    if (this.makeStream === undefined) {
      throw new Error('the graph has no stream factory; build it through a Pipeline');
    }
    return this.makeStream(node) as Stream<TKey, TValue>;
  }

  add(node: GraphNode): void {
    if (this.nodes.has(node.name)) {
      throw new Error(`the pipeline already has a node named "${node.name}"; names must be unique`);
    }
    this.nodes.set(node.name, node);
  }

  /** A generated name for a stateless node: its operator and its position, e.g. `filter-3`. */
  generatedName(operator: string): string {
    this.counter += 1;
    return `${operator}-${this.counter}`;
  }

  all(): readonly GraphNode[] {
    return [...this.nodes.values()];
  }

  get(name: string): GraphNode | undefined {
    return this.nodes.get(name);
  }

  childrenOf(name: string): GraphNode[] {
    return this.all().filter((node) => node.kind !== 'source' && node.parents.includes(name));
  }

  /** The children that receive what `name` forwards to `output` (undefined: the main one). */
  childrenOnOutput(name: string, output: string | undefined): GraphNode[] {
    return this.childrenOf(name).filter(
      (node) => (node.kind === 'processor' ? node.fromOutput : undefined) === output,
    );
  }
}

/** The physical name of a topic reference for a job. */
export function topicName(ref: TopicRef, applicationId: string): string {
  return ref.kind === 'external' ? ref.name : `${applicationId}-${ref.suffix}`;
}
