import type { GlobalTableSpec } from '../dsl/globalTable.js';
import type { GraphNode } from '../dsl/graph.js';
import type { Pipeline } from '../dsl/pipeline.js';
import { Topology } from '../runtime/topology.js';
import { changelogTopic } from '../state/storeDefinition.js';

/**
 * What a box of a job's picture stands for. Topics are told apart by who owns them: `topic`
 * (external, the user's), `internalTopic` (a repartition topic the job creates),
 * `changelogTopic` (a store's changelog) and `replyTopic` (request/reply: chosen per record).
 * @category Runtime
 */
export type DiagramNodeKind =
  | 'source'
  | 'processor'
  | 'sink'
  | 'store'
  | 'topic'
  | 'internalTopic'
  | 'changelogTopic'
  | 'replyTopic'
  | 'globalTable';

/** @category Runtime */
export interface DiagramNode {
  /** Unique in the diagram; the kind is part of it, since a processor and its store often share a name. */
  readonly id: string;
  readonly kind: DiagramNodeKind;
  /** The node's, store's or topic's name, as the job uses it. */
  readonly label: string;
  /** A second line: the operator, a store's backend, a topic's role. */
  readonly detail?: string;
  /**
   * The sub-topology whose box it is drawn in: its sources, processors, sinks, stores and the
   * stores' changelogs (written by that sub-topology's tasks only). Topics that link
   * sub-topologies, and global tables, belong to none.
   */
  readonly subTopology?: number;
}

/**
 * `records`: records flow (topic → source → processors → sink → topic). `store`: a processor
 * uses a state store. `changelog`: a store is backed up to its changelog topic. `lookup`: a
 * join reads a global table.
 * @category Runtime
 */
export type DiagramEdgeKind = 'records' | 'store' | 'changelog' | 'lookup';

/** @category Runtime */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: DiagramEdgeKind;
}

/** @category Runtime */
export interface DiagramGroup {
  readonly subTopology: number;
  readonly label: string;
  /** Ids of the nodes drawn inside it. */
  readonly nodes: readonly string[];
}

/**
 * A job's DAG as plain data, neutral to how it is drawn: the Mermaid and SVG renderers both
 * read it, so the two pictures cannot disagree about what the job contains.
 * @category Runtime
 */
export interface JobDiagram {
  readonly applicationId: string;
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
  /** One per sub-topology, in the topology's order. */
  readonly groups: readonly DiagramGroup[];
}

/**
 * The diagram of a pipeline as the job `applicationId` runs it: physical topic names (internal
 * and changelog topics are prefixed by the application id), sub-topologies, and the pipeline's
 * global tables.
 * @category Runtime
 */
export function pipelineDiagram(pipeline: Pipeline, applicationId: string): JobDiagram {
  return topologyDiagram(new Topology(pipeline.graph, applicationId), pipeline.globalTables);
}

/**
 * The diagram of a resolved topology. Global tables are not part of the graph (no task reads
 * them), so they come separately; without them, their lookups are not drawn.
 * @category Runtime
 */
export function topologyDiagram(
  topology: Topology,
  globalTables: readonly GlobalTableSpec[] = [],
): JobDiagram {
  const builder = new DiagramBuilder();
  const internalTopics = new Map(topology.internalTopics.map((t) => [t.name, t]));
  const topicNode = (name: string): string => {
    const internal = internalTopics.get(name);
    return internal === undefined
      ? builder.node({ id: topicId(name), kind: 'topic', label: name })
      : builder.node({
          id: topicId(name),
          kind: 'internalTopic',
          label: name,
          detail: `repartition, partitions: ${internal.partitions ?? 'as upstream'}`,
        });
  };
  const groups: DiagramGroup[] = [];
  for (const sub of topology.subTopologies) {
    const members: string[] = [];
    for (const node of sub.nodes) {
      members.push(builder.node(graphNode(node, sub.id)));
      addGraphEdges(node, { builder, topology, topicNode });
    }
    for (const store of sub.stores) {
      const id = builder.node({
        id: storeId(store.name),
        kind: 'store',
        label: store.name,
        detail: store.changelog ? store.backend : `${store.backend}, no changelog`,
        subTopology: sub.id,
      });
      members.push(id);
      for (const node of sub.nodes) {
        if (node.kind === 'processor' && (node.stores ?? []).some((s) => s.name === store.name)) {
          builder.edge({ from: nodeId(node.name), to: id, kind: 'store' });
        }
      }
      if (store.changelog) {
        const changelog = builder.node({
          id: topicId(changelogTopic(topology.applicationId, store.name)),
          kind: 'changelogTopic',
          label: changelogTopic(topology.applicationId, store.name),
          detail: 'changelog',
          subTopology: sub.id,
        });
        members.push(changelog);
        builder.edge({ from: id, to: changelog, kind: 'changelog' });
      }
    }
    groups.push({ subTopology: sub.id, label: `Sub-topology ${sub.id}`, nodes: members });
  }
  for (const table of globalTables) {
    const id = builder.node({
      id: `global:${table.name}`,
      kind: 'globalTable',
      label: table.name,
      detail: 'global table',
    });
    builder.edge({ from: topicNode(table.topic), to: id, kind: 'records' });
    for (const node of topology.graph.all()) {
      if (node.kind === 'processor' && globalTableOf(node.description) === table.name) {
        builder.edge({ from: id, to: nodeId(node.name), kind: 'lookup' });
      }
    }
  }
  return { applicationId: topology.applicationId, ...builder.result(), groups };
}

/** Collects nodes and edges once each, in the order first met, so output is deterministic. */
class DiagramBuilder {
  private readonly nodes = new Map<string, DiagramNode>();
  private readonly edges = new Map<string, DiagramEdge>();

  node(node: DiagramNode): string {
    if (!this.nodes.has(node.id)) {
      this.nodes.set(node.id, node);
    }
    return node.id;
  }

  edge(edge: DiagramEdge): void {
    this.edges.set(`${edge.from}\u0000${edge.to}\u0000${edge.kind}`, edge);
  }

  result(): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
    return { nodes: [...this.nodes.values()], edges: [...this.edges.values()] };
  }
}

function graphNode(node: GraphNode, subTopology: number): DiagramNode {
  switch (node.kind) {
    case 'source':
      return {
        id: nodeId(node.name),
        kind: 'source',
        label: node.name,
        detail: 'source',
        subTopology,
      };
    case 'processor':
      return {
        id: nodeId(node.name),
        kind: 'processor',
        label: node.name,
        detail: node.description,
        subTopology,
      };
    case 'sink':
      return {
        id: nodeId(node.name),
        kind: 'sink',
        label: node.name,
        detail: node.latestPerKey === true ? 'sink, latest per key' : 'sink',
        subTopology,
      };
  }
}

function addGraphEdges(
  node: GraphNode,
  context: {
    readonly builder: DiagramBuilder;
    readonly topology: Topology;
    readonly topicNode: (name: string) => string;
  },
): void {
  const { builder, topology, topicNode } = context;
  if (node.kind === 'source') {
    for (const ref of node.topics) {
      builder.edge({
        from: topicNode(topology.topic(ref)),
        to: nodeId(node.name),
        kind: 'records',
      });
    }
    return;
  }
  for (const parent of node.parents) {
    builder.edge({ from: nodeId(parent), to: nodeId(node.name), kind: 'records' });
  }
  if (node.kind === 'sink') {
    const to =
      node.topic.kind === 'dynamic'
        ? builder.node({
            id: `reply:${node.name}`,
            kind: 'replyTopic',
            label: '<reply topic of each request>',
            detail: 'reply-to header',
          })
        : topicNode(topology.topic(node.topic));
    builder.edge({ from: nodeId(node.name), to, kind: 'records' });
  }
}

/**
 * The global table a join processor reads. The graph keeps it only in the processor's
 * one-line description (`join global table <name>`, joinNodes.ts), since no task reads it.
 */
function globalTableOf(description: string): string | undefined {
  return /(?:^|\s)global table (\S+)$/.exec(description)?.[1];
}

function nodeId(name: string): string {
  return `node:${name}`;
}

function storeId(name: string): string {
  return `store:${name}`;
}

function topicId(name: string): string {
  return `topic:${name}`;
}
