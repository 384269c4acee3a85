import type { Kafka } from 'kafkajs';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { unreachableReason } from './brokerProbe.js';
import { describeConsumerGroups, listConsumerGroups } from './consumerGroups.js';
import { classifyKafkaError, LagError, lagErrorCodes } from './lagErrors.js';
import type {
  GroupOffsets,
  LagSnapshot,
  NextRecord,
  PartitionOffsets,
  PartitionOwner,
} from './lagModel.js';
import type { LagQuery, LagSource } from './lagSource.js';
import { findNextRecord, type FetchedRecord } from './nextRecord.js';
import { rawCluster, type RawCluster } from './kafkajsInternals.js';
import { splitKey, tpKey } from './topicPartitionKey.js';

const latest = -1;
const earliest = -2;
const readUncommitted = 0;
const readCommitted = 1;
/** Enough for the first batch of a typical partition; Kafka returns the first batch whole anyway. */
const fetchBytesPerPartition = 16 * 1024;

/** Offsets of one topic-partition as the leader reports them. */
interface LogOffsets {
  logStart: number | null;
  logEnd: number | null;
  lastStable: number | null;
}

/**
 * Reads consumer-group offsets with DESCRIBE-only requests, batched so a snapshot costs a fixed
 * number of round trips however many groups and partitions there are: ListGroups per broker,
 * FindCoordinator + OffsetFetch per group (in parallel), DescribeGroups (classic groups) and
 * ConsumerGroupDescribe (KIP-848 groups) per coordinator, one
 * Metadata, three ListOffsets per leader (log start, high watermark, last stable offset) and one
 * Fetch per leader for the records at the committed offsets.
 */
export class KafkaLagSource implements LagSource {
  private readonly brokers: readonly string[];
  private readonly kafka: Kafka;
  private cluster: RawCluster;
  private connecting: Promise<void> | undefined;

  constructor(config: ConnectionConfig) {
    this.brokers = config.brokers;
    this.kafka = createKafkaJs(config, { clientId: `${config.clientId}-lag` });
    this.cluster = rawCluster(this.kafka);
  }

  async snapshot(query: LagQuery): Promise<LagSnapshot> {
    const cluster = this.cluster;
    try {
      return await this.read(query);
    } catch (error) {
      // After a failure the next look starts over on a new connection: kafkajs's cluster keeps
      // a failed connect and connections to a broker that has since restarted, and the
      // exporter and --watch must resume by themselves when the broker answers again. (Only
      // the look that used this cluster resets it; a late one from before does not.)
      const noGroup = error instanceof LagError && error.code === lagErrorCodes.groupNotFound;
      if (!noGroup && this.cluster === cluster) {
        this.connecting = undefined;
        this.cluster = rawCluster(this.kafka);
        void cluster.disconnect().catch(() => undefined);
      }
      throw classifyKafkaError(error, this.brokers);
    }
  }

  async close(): Promise<void> {
    await this.cluster.disconnect().catch(() => undefined);
  }

  private async read(query: LagQuery): Promise<LagSnapshot> {
    this.connecting ??= this.connect();
    await this.connecting;
    const listed = await listConsumerGroups(this.cluster, query.groupPattern);
    const groupIds = listed.map((g) => g.groupId);
    if (groupIds.length === 0) {
      throw new LagError(
        lagErrorCodes.groupNotFound,
        query.groupPattern === undefined
          ? 'the cluster has no consumer groups'
          : `no consumer group matches ${query.groupPattern.source}`,
      );
    }
    const [described, committed] = await Promise.all([
      describeConsumerGroups(this.cluster, listed),
      Promise.all(groupIds.map((groupId) => this.committedOffsets(groupId))),
    ]);
    const metadata = await this.cluster.metadata({ topics: [] });
    const leaders = new Map<string, number>();
    for (const t of metadata.topicMetadata) {
      for (const p of t.partitionMetadata) {
        leaders.set(tpKey(t.topic, p.partitionId), p.leader);
      }
    }

    const groups = listed.map((group, i) => ({
      ...group,
      description: described.get(group.groupId),
      committed: committed[i] ?? new Map<string, number | null>(),
    }));
    const wanted = new Set<string>();
    for (const g of groups) {
      for (const key of [...g.committed.keys(), ...(g.description?.owners.keys() ?? [])]) {
        if (query.topic === undefined || splitKey(key).topic === query.topic) {
          wanted.add(key);
        }
      }
    }
    const logOffsets = await this.logOffsets([...wanted], leaders);
    const takenAtMs = Date.now();
    const nextRecords = await this.nextRecords(groups, logOffsets, leaders);

    const result: GroupOffsets[] = groups.map((g) => {
      const owners = g.description?.owners ?? new Map<string, PartitionOwner>();
      const keys = new Set([...owners.keys(), ...g.committed.keys()]);
      const partitions: PartitionOffsets[] = [...keys]
        .filter((key) => wanted.has(key))
        .map((key) => {
          const { topic, partition } = splitKey(key);
          const offsets = logOffsets.get(key);
          const committedOffset = g.committed.get(key) ?? null;
          return {
            topic,
            partition,
            committedOffset,
            logEndOffset: offsets?.logEnd ?? null,
            lastStableOffset: offsets?.lastStable ?? null,
            logStartOffset: offsets?.logStart ?? null,
            nextRecord:
              committedOffset === null ? undefined : nextRecords.get(`${key}@${committedOffset}`),
            owner: owners.get(key) ?? null,
          };
        })
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      return {
        groupId: g.groupId,
        type: g.type,
        simple: g.simple,
        state: g.description?.state ?? 'Unknown',
        memberCount: g.description?.memberCount ?? 0,
        partitions,
      };
    });
    return { takenAtMs, groups: result };
  }

  private async connect(): Promise<void> {
    const reason = await unreachableReason(this.brokers, 3_000);
    if (reason !== undefined) {
      throw new LagError(lagErrorCodes.unreachable, `cannot reach Kafka: ${reason}`);
    }
    await this.cluster.connect();
    await this.cluster.refreshMetadata();
  }

  /** Every committed offset of the group (OffsetFetch with no topic list means all topics). */
  private async committedOffsets(groupId: string): Promise<Map<string, number | null>> {
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    const { responses } = await coordinator.offsetFetch({ groupId, topics: [] });
    const offsets = new Map<string, number | null>();
    for (const t of responses) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        offsets.set(tpKey(t.topic, p.partition), offset >= 0 ? offset : null);
      }
    }
    return offsets;
  }

  /**
   * Log start, high watermark (read_uncommitted latest, what kafka-consumer-groups calls
   * LOG-END-OFFSET) and last stable offset (read_committed latest) of each partition: three
   * ListOffsets per leader. Partitions without a leader (deleted topics) get nulls.
   */
  private async logOffsets(
    keys: readonly string[],
    leaders: ReadonlyMap<string, number>,
  ): Promise<Map<string, LogOffsets>> {
    const result = new Map<string, LogOffsets>(
      keys.map((k) => [k, { logStart: null, logEnd: null, lastStable: null }]),
    );
    const specs = [
      { field: 'logStart', isolationLevel: readUncommitted, timestamp: earliest },
      { field: 'logEnd', isolationLevel: readUncommitted, timestamp: latest },
      { field: 'lastStable', isolationLevel: readCommitted, timestamp: latest },
    ] as const;
    const requests = [...byLeader(keys, leaders)].flatMap(([nodeId, byTopic]) =>
      specs.map(async (spec) => {
        const broker = await this.cluster.findBroker({ nodeId: String(nodeId) });
        const { responses } = await broker.listOffsets({
          isolationLevel: spec.isolationLevel,
          topics: [...byTopic].map(([topic, partitions]) => ({
            topic,
            partitions: partitions.map((partition) => ({ partition, timestamp: spec.timestamp })),
          })),
        });
        for (const t of responses) {
          for (const p of t.partitions) {
            const entry = result.get(tpKey(t.topic, p.partition));
            if (entry !== undefined && p.errorCode === 0) {
              entry[spec.field] = Number(p.offset);
            }
          }
        }
      }),
    );
    await Promise.all(requests);
    return result;
  }

  /**
   * The record each group will read next, fetched read_committed at its committed offset. One
   * Fetch per leader per round; a partition appears once per request, so when groups sit at
   * different offsets of the same partition each further offset goes into a further round. A
   * failed fetch only loses the record timestamps (time lag then falls back to interpolation).
   */
  private async nextRecords(
    groups: readonly { committed: ReadonlyMap<string, number | null> }[],
    logOffsets: ReadonlyMap<string, LogOffsets>,
    leaders: ReadonlyMap<string, number>,
  ): Promise<Map<string, NextRecord | 'nothing-to-read'>> {
    const offsetsByKey = new Map<string, Set<number>>();
    for (const g of groups) {
      for (const [key, committed] of g.committed) {
        const logEnd = logOffsets.get(key)?.logEnd ?? null;
        const logStart = logOffsets.get(key)?.logStart ?? null;
        if (
          committed !== null &&
          logEnd !== null &&
          logStart !== null &&
          Math.max(committed, logStart) < logEnd
        ) {
          offsetsByKey.set(key, (offsetsByKey.get(key) ?? new Set()).add(committed));
        }
      }
    }
    const rounds: Map<string, number>[] = [];
    for (const [key, offsets] of offsetsByKey) {
      [...offsets].forEach((offset, i) => {
        const round = rounds[i] ?? new Map<string, number>();
        rounds[i] = round.set(key, offset);
      });
    }
    const found = new Map<string, NextRecord | 'nothing-to-read'>();
    // Below the log start the fetch would fail with OFFSET_OUT_OF_RANGE (and kafkajs fails the
    // whole request). The records there are deleted (RECORDS_LOST); the first one left, at the
    // log start, is what the consumer will get, and its age a lower bound of the time lag.
    const fetchOffset = (key: string, committed: number): number =>
      Math.max(committed, logOffsets.get(key)?.logStart ?? committed);
    for (const round of rounds) {
      const requests = [...byLeader([...round.keys()], leaders)].map(async ([nodeId, byTopic]) => {
        try {
          const broker = await this.cluster.findBroker({ nodeId: String(nodeId) });
          const response = await broker.fetch({
            isolationLevel: readCommitted,
            maxWaitTime: 0,
            minBytes: 0,
            maxBytes: 64 * 1024 * 1024,
            topics: [...byTopic].map(([topic, partitions]) => ({
              topic,
              partitions: partitions.map((partition) => ({
                partition,
                fetchOffset: String(
                  fetchOffset(tpKey(topic, partition), round.get(tpKey(topic, partition)) ?? 0),
                ),
                maxBytes: fetchBytesPerPartition,
              })),
            })),
          });
          for (const t of response.responses) {
            for (const p of t.partitions) {
              const key = tpKey(t.topicName, p.partition);
              const committed = round.get(key);
              if (committed === undefined || p.errorCode !== 0) {
                continue;
              }
              const from = fetchOffset(key, committed);
              const next = findNextRecord(
                {
                  records: p.messages.map(toFetchedRecord),
                  abortedTransactions: (p.abortedTransactions ?? []).map((a) => ({
                    producerId: a.producerId,
                    firstOffset: Number(a.firstOffset),
                  })),
                  lastStableOffset: Number(p.lastStableOffset),
                },
                from,
              );
              if (next !== undefined) {
                found.set(`${key}@${committed}`, next);
              }
            }
          }
        } catch {
          // Time lag falls back to interpolation for these partitions.
        }
      });
      await Promise.all(requests);
    }
    return found;
  }
}

function toFetchedRecord(m: {
  offset: string;
  timestamp: string;
  isControlRecord?: boolean;
  key: Buffer | null;
  batchContext?: { inTransaction: boolean; producerId: string };
}): FetchedRecord {
  const isControlRecord = m.isControlRecord === true;
  return {
    offset: Number(m.offset),
    timestampMs: Number(m.timestamp),
    isControlRecord,
    // A control record's key is version (int16) then type (int16): 0 abort, 1 commit.
    controlType:
      isControlRecord && m.key !== null && m.key.length >= 4 ? m.key.readInt16BE(2) : undefined,
    inTransaction: m.batchContext?.inTransaction ?? false,
    producerId: m.batchContext?.producerId ?? '-1',
  };
}

/** Partition keys grouped by leader node, then by topic. Keys without a leader are left out. */
function byLeader(
  keys: readonly string[],
  leaders: ReadonlyMap<string, number>,
): Map<number, Map<string, number[]>> {
  const grouped = new Map<number, Map<string, number[]>>();
  for (const key of keys) {
    const leader = leaders.get(key);
    if (leader === undefined || leader < 0) {
      continue;
    }
    const { topic, partition } = splitKey(key);
    const byTopic = grouped.get(leader) ?? new Map<string, number[]>();
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    grouped.set(leader, byTopic);
  }
  return grouped;
}
