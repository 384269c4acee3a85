import type { StreamClient } from '../connectors/kafka/streamClient.js';
import { ConfigError } from '../errors.js';
import type { Topology } from './topology.js';

/**
 * Checks that input topics exist and co-partitioned inputs have equal partition counts, and
 * creates the internal topics (repartition, DLQ) with the right partition counts.
 */
export async function prepareTopics(job: {
  readonly client: StreamClient;
  readonly topology: Topology;
  readonly deadLetterTopic: string;
}): Promise<void> {
  const { client, topology } = job;
  const internalNames = new Set(topology.internalTopics.map((t) => t.name));
  const external = topology.sourceTopics().filter((t) => !internalNames.has(t));
  const counts = await client.partitionCounts([...external, ...internalNames]);
  const missing = external.filter((t) => !counts.has(t));
  if (missing.length > 0) {
    throw new ConfigError('pipeline', `input topics do not exist: ${missing.join(', ')}`);
  }
  // Internal topics take their upstream's partition count unless the pipeline fixes one;
  // sub-topologies are in dependency order, so upstream counts are known first.
  for (const internal of topology.internalTopics) {
    const upstream = topology.subTopologies[internal.producedBy];
    const upstreamCounts = [...(upstream?.sources.keys() ?? [])].map((t) => counts.get(t) ?? 0);
    const wanted = internal.partitions ?? Math.max(1, ...upstreamCounts);
    const existing = counts.get(internal.name);
    if (existing !== undefined && existing !== wanted) {
      throw new ConfigError(
        'pipeline',
        `internal topic ${internal.name} has ${existing} partitions, the pipeline needs ${wanted}`,
      );
    }
    counts.set(internal.name, wanted);
  }
  await client.ensureTopics([
    ...topology.internalTopics.map((t) => ({
      name: t.name,
      partitions: counts.get(t.name) ?? 1,
    })),
    ...changelogSpecs(topology, counts),
    { name: job.deadLetterTopic, partitions: 1 },
  ]);
  for (const sub of topology.subTopologies) {
    const perTopic = [...sub.sources.keys()].map((t) => `${t} (${counts.get(t) ?? '?'})`);
    if (new Set([...sub.sources.keys()].map((t) => counts.get(t))).size > 1) {
      throw new ConfigError(
        'pipeline',
        `sub-topology ${sub.id} reads topics that are not co-partitioned: ${perTopic.join(', ')}; ` +
          'records with equal keys would meet in different tasks. Give them equal partition counts or repartition one.',
      );
    }
  }
}

/**
 * Changelog topics, one partition per task of the sub-topology that owns the store: compacted,
 * and with retention too for stores whose expired state leaves no tombstones.
 */
function changelogSpecs(
  topology: Topology,
  counts: ReadonlyMap<string, number>,
): { name: string; partitions: number; config: Record<string, string> }[] {
  return topology.changelogTopics().map(({ name, subTopology, retentionMs }) => ({
    name,
    partitions: Math.max(1, ...[...subTopology.sources.keys()].map((t) => counts.get(t) ?? 1)),
    config:
      retentionMs === undefined
        ? { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' }
        : {
            // Expired state has no tombstones (TaskStore.expire): retention removes it. Records
            // carry the commit's wall-clock time, so retention counts from the last write.
            'cleanup.policy': 'compact,delete',
            'retention.ms': String(Math.ceil(retentionMs)),
            'min.compaction.lag.ms': '0',
          },
  }));
}
