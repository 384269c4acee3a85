import type { AnySerde, PipelineGraph } from './graph.js';
import type { TopicSerdes } from './stream.js';

/**
 * What the runtime needs to keep a global table: the topic to read in full, and its serdes.
 * The pipeline holds these apart from the graph because no task reads the topic: every
 * instance reads all of it (`operators/runtime/globalStateManager.ts`).
 */
export interface GlobalTableSpec {
  /** The store's name: its local directory is `<stateDir>/global/<name>`. */
  readonly name: string;
  readonly topic: string;
  readonly keySerde: AnySerde;
  readonly valueSerde: AnySerde;
}

/**
 * A table every instance of the job holds in full, read from all partitions of a topic and kept
 * up to date while the job runs: for small reference data (video metadata, a country list)
 * that a stream looks up by something other than its own key. Unlike a {@link Table}, it needs
 * no co-partitioning: any task can look up any key. It is loaded to the end of the topic before
 * the job processes its first record.
 *
 * @example
 * ```ts
 * import { jsonSerde, Pipeline, stringSerde } from 'reelstream';
 *
 * interface Heartbeat { readonly videoId: string; readonly watchedMs: number }
 * interface Video { readonly title: string }
 * const pipeline = new Pipeline();
 * const videos = pipeline.globalTable(
 *   'videos',
 *   { key: stringSerde, value: jsonSerde<Video>() },
 *   { name: 'videos' },
 * );
 * const heartbeats = pipeline.source('watch-heartbeats', { key: stringSerde, value: jsonSerde<Heartbeat>() });
 * heartbeats.joinGlobal(videos, (hb, video) => ({ ...hb, title: video.title }), {
 *   name: 'with-title',
 *   key: (record) => record.value.videoId,
 * });
 * ```
 * @category DSL
 */
export class GlobalTable<TKey, TValue> {
  /** @internal */ readonly graph: PipelineGraph;
  readonly name: string;
  readonly topic: string;
  /** @internal */ readonly serdes: TopicSerdes<TKey, TValue>;

  /** @internal */
  constructor(
    graph: PipelineGraph,
    options: { name: string; topic: string; serdes: TopicSerdes<TKey, TValue> },
  ) {
    this.graph = graph;
    this.name = options.name;
    this.topic = options.topic;
    this.serdes = options.serdes;
  }

  /** @internal */
  spec(): GlobalTableSpec {
    return {
      name: this.name,
      topic: this.topic,
      keySerde: this.serdes.key as AnySerde,
      valueSerde: this.serdes.value as AnySerde,
    };
  }
}
