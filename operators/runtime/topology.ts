import {
  topicName,
  type AnySerde,
  type GraphNode,
  type PipelineGraph,
  type SinkNode,
  type SourceNode,
  type TopicRef,
} from '../dsl/graph.js';
import { changelogTopic, type StoreSpec } from '../state/storeDefinition.js';

/**
 * A connected part of the pipeline graph, cut at internal topics: the unit of parallelism. Each
 * of its tasks processes one partition of every one of its source topics.
 */
export interface SubTopology {
  readonly id: number;
  readonly nodes: readonly GraphNode[];
  /** Physical source topic name → the source node reading it. */
  readonly sources: ReadonlyMap<string, SourceNode>;
  readonly sinks: readonly SinkNode[];
  /** The state stores of its operators; each task opens its own instance of each. */
  readonly stores: readonly StoreSpec[];
}

/** A topic the job creates itself (repartition topics). */
export interface InternalTopic {
  readonly name: string;
  /** Fixed by the pipeline, or undefined: as many as the upstream sub-topology's sources. */
  readonly partitions: number | undefined;
  readonly producedBy: number;
}

/** The pipeline graph resolved for one job: physical topic names and sub-topologies. */
export class Topology {
  readonly applicationId: string;
  readonly graph: PipelineGraph;
  readonly subTopologies: readonly SubTopology[];
  readonly internalTopics: readonly InternalTopic[];
  private readonly byTopic = new Map<string, SubTopology>();

  constructor(graph: PipelineGraph, applicationId: string) {
    this.applicationId = applicationId;
    this.graph = graph;
    this.subTopologies = splitIntoSubTopologies(graph, applicationId);
    for (const sub of this.subTopologies) {
      for (const topic of sub.sources.keys()) {
        if (this.byTopic.has(topic)) {
          throw new Error(`topic ${topic} is read by two sub-topologies; read it once and branch`);
        }
        this.byTopic.set(topic, sub);
      }
    }
    const storeOwners = new Map<string, number>();
    for (const sub of this.subTopologies) {
      for (const store of sub.stores) {
        const owner = storeOwners.get(store.name);
        if (owner !== undefined && owner !== sub.id) {
          throw new Error(
            `state store ${store.name} is used in two sub-topologies (${owner} and ${sub.id}); a store belongs to the tasks of one`,
          );
        }
        storeOwners.set(store.name, sub.id);
      }
    }
    this.internalTopics = this.subTopologies.flatMap((sub) =>
      sub.sinks
        .filter((sink) => sink.topic.kind === 'internal')
        .map((sink) => {
          const ref = sink.topic as Extract<TopicRef, { kind: 'internal' }>;
          return { name: this.topic(ref), partitions: ref.partitions, producedBy: sub.id };
        }),
    );
  }

  /** The changelog topics of the job's stores, with the sub-topology whose tasks write them. */
  changelogTopics(): {
    readonly name: string;
    readonly subTopology: SubTopology;
    readonly retentionMs: number | undefined;
  }[] {
    return this.subTopologies.flatMap((sub) =>
      sub.stores
        .filter((store) => store.changelog)
        .map((store) => ({
          name: changelogTopic(this.applicationId, store.name),
          subTopology: sub,
          retentionMs: store.changelogRetentionMs,
        })),
    );
  }

  topic(ref: TopicRef): string {
    return topicName(ref, this.applicationId);
  }

  /** Every topic the job consumes: external inputs and internal repartition topics. */
  sourceTopics(): string[] {
    return [...this.byTopic.keys()];
  }

  subTopologyOf(topic: string): SubTopology | undefined {
    return this.byTopic.get(topic);
  }

  /** Kafka Streams-like description: sub-topologies, their nodes, and topics. */
  describe(): string {
    const lines: string[] = [];
    for (const sub of this.subTopologies) {
      lines.push(`Sub-topology ${sub.id}`);
      for (const node of sub.nodes) {
        const children = this.graph.childrenOf(node.name).map((child) => child.name);
        const next = children.length === 0 ? 'none' : children.join(', ');
        switch (node.kind) {
          case 'source':
            lines.push(
              `  Source: ${node.name} (topics: [${node.topics.map((t) => this.topic(t)).join(', ')}]; ${serdesOf(node)})`,
              `    --> ${next}`,
            );
            break;
          case 'processor': {
            const stores = (node.stores ?? []).map((store) => store.name);
            const suffix = stores.length === 0 ? '' : `; stores: [${stores.join(', ')}]`;
            lines.push(
              `  Processor: ${node.name} (${node.description}${suffix})`,
              `    --> ${next}`,
            );
            lines.push(`    <-- ${node.parents.join(', ')}`);
            break;
          }
          case 'sink': {
            const topic =
              node.topic.kind === 'dynamic'
                ? '<reply topic of each request>'
                : this.topic(node.topic);
            lines.push(
              `  Sink: ${node.name} (topic: ${topic}; ${serdesOf(node)})`,
              `    <-- ${node.parents.join(', ')}`,
            );
            break;
          }
        }
      }
    }
    if (this.internalTopics.length > 0) {
      lines.push('Internal topics');
      for (const topic of this.internalTopics) {
        const partitions =
          topic.partitions === undefined ? 'as upstream' : String(topic.partitions);
        lines.push(`  ${topic.name} (partitions: ${partitions})`);
      }
    }
    return lines.join('\n');
  }
}

function serdesOf(node: { keySerde: AnySerde; valueSerde: AnySerde }): string {
  return `key: ${node.keySerde.name}, value: ${node.valueSerde.name}`;
}

function splitIntoSubTopologies(graph: PipelineGraph, applicationId: string): SubTopology[] {
  const nodes = graph.all();
  // Union-find over parent links; internal topics are separate sink/source nodes, so they cut.
  const parent = new Map<string, string>(nodes.map((n) => [n.name, n.name]));
  const find = (name: string): string => {
    let root = name;
    while (parent.get(root) !== root) {
      root = parent.get(root) ?? root;
    }
    return root;
  };
  for (const node of nodes) {
    if (node.kind !== 'source') {
      for (const p of node.parents) {
        if (graph.get(p) === undefined) {
          throw new Error(`node ${node.name} reads from unknown node ${p}`);
        }
        parent.set(find(node.name), find(p));
      }
    }
  }
  // Nodes that share a store run in one task, as in Kafka Streams: a stream–table join declares
  // the table's store, which puts the stream's source in the table's sub-topology (and makes
  // the job check that their topics are co-partitioned).
  const storeUsers = new Map<string, string>();
  for (const node of nodes) {
    for (const store of node.kind === 'processor' ? (node.stores ?? []) : []) {
      const first = storeUsers.get(store.name);
      if (first === undefined) {
        storeUsers.set(store.name, node.name);
      } else {
        parent.set(find(node.name), find(first));
      }
    }
  }
  const groups = new Map<string, GraphNode[]>();
  for (const node of nodes) {
    const root = find(node.name);
    groups.set(root, [...(groups.get(root) ?? []), node]);
  }
  return [...groups.values()].map((members, id) => {
    const sources = new Map<string, SourceNode>();
    for (const node of members) {
      if (node.kind === 'source') {
        for (const ref of node.topics) {
          sources.set(topicName(ref, applicationId), node);
        }
      }
    }
    if (sources.size === 0) {
      throw new Error(`nodes ${members.map((m) => m.name).join(', ')} have no source`);
    }
    const stores = new Map<string, StoreSpec>();
    for (const node of members) {
      for (const store of node.kind === 'processor' ? (node.stores ?? []) : []) {
        stores.set(store.name, store);
      }
    }
    return {
      id,
      nodes: members,
      sources,
      sinks: members.filter((n): n is SinkNode => n.kind === 'sink'),
      stores: [...stores.values()],
    };
  });
}
