import { headerText, requestHeaders } from '../requestReply/protocol.js';
import { defaultReplyTopicRules, type ReplyTopicRules } from '../requestReply/replyTopicRules.js';
import {
  servedOutput,
  serveOperator,
  type RequestHandler,
  type Served,
} from '../requestReply/serveOperator.js';
import { passThroughOperator } from '../stateless/passThrough.js';
import { nullable } from '../serdes/basicSerdes.js';
import type { Serde } from '../serdes/serde.js';
import { Topology } from '../runtime/topology.js';
import { addTableSource, storeSpecOf } from '../joins/joinNodes.js';
import type { StoreBackend, StoreDefinition } from '../state/storeDefinition.js';
import { GlobalTable, type GlobalTableSpec } from './globalTable.js';
import type { AnySerde } from './graph.js';
import { PipelineGraph } from './graph.js';
import { Stream, type TopicSerdes } from './stream.js';
import { Table } from './table.js';

/**
 * A pipeline under construction: start streams from topics, chain operators, write to topics.
 * Built once, then run by a job on Kafka or by the test driver in-process.
 *
 * @example
 * ```ts
 * import { Pipeline, stringSerde } from 'reelstream';
 *
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('words', { key: stringSerde, value: stringSerde })
 *   .mapValues((word) => word.toUpperCase())
 *   .to('shouted', { key: stringSerde, value: stringSerde });
 * console.log(pipeline.describe('shouter'));
 * ```
 * @category DSL
 */
export class Pipeline {
  /** @internal */ readonly graph = new PipelineGraph();

  constructor() {
    this.graph.useStreams((node) => new Stream(this.graph, node, false));
  }
  /** @internal Read in full by every instance, apart from the graph's tasks. */
  readonly globalTables: GlobalTableSpec[] = [];

  /** A stream of the records of `topic` (or several co-partitioned topics), typed by `serdes`. */
  source<TKey, TValue>(
    topic: string | readonly string[],
    serdes: TopicSerdes<TKey, TValue>,
    options: { readonly name?: string } = {},
  ): Stream<TKey, TValue> {
    const topics = typeof topic === 'string' ? [topic] : topic;
    const name = options.name ?? this.graph.generatedName('source');
    this.graph.add({
      kind: 'source',
      name,
      topics: topics.map((t) => ({ kind: 'external' as const, name: t })),
      keySerde: serdes.key as AnySerde,
      valueSerde: serdes.value as AnySerde,
    });
    return new Stream<TKey, TValue>(this.graph, name, false);
  }

  /**
   * The latest value per key of `topic` (a compacted topic, usually), kept in the store `name`:
   * a null value deletes its key. Streams join it with `stream.join(table, …)`; their topic must
   * have as many partitions as this one, and records partitioned by key the same way.
   *
   * @example
   * ```ts
   * import { jsonSerde, Pipeline, stringSerde } from 'reelstream';
   *
   * interface Profile { readonly country: string }
   * const pipeline = new Pipeline();
   * const profiles = pipeline.table(
   *   'user-profiles',
   *   { key: stringSerde, value: jsonSerde<Profile>() },
   *   { name: 'profiles' },
   * );
   * pipeline
   *   .source('clicks', { key: stringSerde, value: stringSerde })
   *   .join(profiles, (video, profile) => `${video} in ${profile.country}`, { name: 'with-profile' })
   *   .to('clicks-by-country', { key: stringSerde, value: stringSerde });
   * ```
   */
  table<TKey, TValue>(
    topic: string,
    serdes: TopicSerdes<TKey, TValue>,
    options: { readonly name: string; readonly backend?: StoreBackend },
  ): Table<TKey, TValue> {
    const changes = { wanted: false };
    const store = addTableSource(this.graph, topic, { ...options, serdes, changes });
    return new Table(this.graph, options.name, { store, changes });
  }

  /**
   * A table of all of `topic` in every instance (small reference data), loaded before the job
   * processes anything and kept current while it runs. See {@link GlobalTable}.
   */
  globalTable<TKey, TValue>(
    topic: string,
    serdes: TopicSerdes<TKey, TValue>,
    options: { readonly name: string },
  ): GlobalTable<TKey, TValue> {
    if (!/^[A-Za-z0-9._-]+$/.test(options.name)) {
      throw new Error(
        `global table name "${options.name}" may hold only letters, digits, '.', '_' and '-' (it names a directory)`,
      );
    }
    if (this.globalTables.some((t) => t.name === options.name)) {
      throw new Error(`the pipeline already has a global table named "${options.name}"`);
    }
    const table = new GlobalTable(this.graph, { name: options.name, topic, serdes });
    this.globalTables.push(table.spec());
    return table;
  }

  /**
   * Serves requests from `topic`: each request is answered on the topic named in its
   * `reelstream.reply-to` header, with its correlation id, before its deadline. A handler that
   * throws, a request that cannot be deserialized and a request past its deadline all get an
   * error reply; none is silently dropped. Handlers run concurrently (exactly-once: those of
   * one batch; at-least-once: up to 100 a partition, each reply sent when its handler ends),
   * and may read the job's global tables through their third argument (shared values: read,
   * never change them), and the request key's row of each table in `tables`. Returns the
   * stream of each request
   * with its reply (null for an error reply), to log what was served.
   *
   * A reply goes only to a topic `replyTopics` allows (default: the `RequestClient` topics,
   * `<topic>.replies.*`) that exists and takes the reply schema. Any other request (a reply-to
   * that is missing, deleted, invalid, not allowed or of another schema) is dead-lettered with
   * the reason in `reelstream.dlq.reply.reason`, counted in the job's `undeliverableReplies`,
   * and never fails the job.
   *
   * @example
   * ```ts
   * import { jsonSerde, Pipeline, stringSerde } from 'reelstream';
   *
   * interface RecRequest { readonly userId: string; readonly count: number }
   * interface RecReply { readonly videoIds: readonly string[] }
   * const pipeline = new Pipeline();
   * pipeline.serve({
   *   name: 'recommendations',
   *   topic: 'rec.requests',
   *   serdes: { key: stringSerde, request: jsonSerde<RecRequest>(), reply: jsonSerde<RecReply>() },
   *   handle: (request): RecReply => ({
   *     videoIds: Array.from({ length: request.count }, (_, i) => `video-${i}`),
   *   }),
   * });
   * ```
   */
  serve<TKey, TRequest, TReply>(options: {
    readonly name: string;
    readonly topic: string;
    readonly serdes: {
      readonly key: Serde<TKey>;
      readonly request: Serde<TRequest>;
      readonly reply: Serde<TReply>;
    };
    /** Requests may come without a key (`null`). */
    readonly handle: RequestHandler<TKey | null, TRequest, TReply>;
    /** The topics a request may name as its reply-to. Default: `<topic>.replies.` + anything. */
    readonly replyTopics?: ReplyTopicRules;
    /**
     * Tables keyed like the requests whose row for the request's key a handler reads
     * (`lookups.table`): the requesting user's features, say. Their topics must be
     * co-partitioned with the request topic (checked at start), which puts them in the
     * requests' tasks: the read is local, with no network on the request path.
     */
    // Tables of any value type: Table is invariant in its value (its serde reads and writes it).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly tables?: readonly Table<TKey, any>[];
  }): Stream<TKey | null, Served<TRequest, TReply>> {
    const source = `${options.name}-requests`;
    const replyTopics = options.replyTopics ?? defaultReplyTopicRules(options.topic);
    this.graph.add({
      kind: 'source',
      name: source,
      topics: [{ kind: 'external', name: options.topic }],
      keySerde: nullable(options.serdes.key) as AnySerde,
      valueSerde: options.serdes.request as AnySerde,
      answersBadRequests: { replyTopics },
    });
    const tables = (options.tables ?? []).map(
      (table) => table.store as StoreDefinition<NonNullable<TKey>, unknown>,
    );
    this.graph.add({
      kind: 'processor',
      name: options.name,
      parents: [source],
      // One operator a task: it holds its task's table stores.
      createOperator: () => serveOperator(options.handle, replyTopics, tables),
      description:
        tables.length === 0
          ? 'serve requests'
          : `serve requests, reading ${tables.map((t) => t.name).join(', ')}`,
      concurrentWithinBatch: true,
      ...(tables.length === 0 ? {} : { stores: tables.map(storeSpecOf) }),
    });
    this.graph.add({
      kind: 'sink',
      name: `${options.name}-replies`,
      parents: [options.name],
      topic: {
        kind: 'dynamic',
        choose: (record) => headerText(record.headers[requestHeaders.replyTo]) ?? '',
      },
      keySerde: nullable(options.serdes.key) as AnySerde,
      valueSerde: nullable(options.serdes.reply) as AnySerde,
      replyTopics,
    });
    const served = `${options.name}-served`;
    this.graph.add({
      kind: 'processor',
      name: served,
      parents: [options.name],
      createOperator: () => passThroughOperator<unknown, unknown>(),
      description: 'served requests and their replies',
      fromOutput: servedOutput,
    });
    return new Stream<TKey | null, Served<TRequest, TReply>>(this.graph, served, false);
  }

  /** The DAG as text: sub-topologies, operators, sinks and internal topics (names resolved for `applicationId`). */
  describe(applicationId = '<applicationId>'): string {
    const described = new Topology(this.graph, applicationId).describe();
    if (this.globalTables.length === 0) {
      return described;
    }
    const tables = this.globalTables.map(
      (t) =>
        `  ${t.name} (topic: ${t.topic}; key: ${t.keySerde.name}, value: ${t.valueSerde.name})`,
    );
    return [described, 'Global tables', ...tables].join('\n');
  }
}
