import { AssignerProtocol } from 'kafkajs';

import {
  consumerGroupDescribe,
  decodeConsumerGroupDescribeResponse,
  encodeConsumerGroupDescribeRequest,
} from './consumerGroupDescribeApi.js';
import { groupIdNotFound, kafkaProtocolError } from './kafkaErrorCodes.js';
import {
  brokerSupports,
  sendFlexibleRequest,
  type RawBroker,
  type RawCluster,
  type RawGroup,
} from './kafkajsInternals.js';
import type { GroupState, GroupType, PartitionOwner } from './lagModel.js';
import {
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  listGroupsV5,
} from './listGroupsApi.js';
import { tpKey } from './topicPartitionKey.js';

/** A consumer group as listed: its id, its protocol, and whether members ever joined it. */
export interface ListedConsumerGroup {
  readonly groupId: string;
  readonly type: GroupType;
  /** A classic group without a protocol type: offsets committed by assign() consumers or tools. */
  readonly simple: boolean;
}

export interface GroupDescription {
  readonly state: GroupState;
  readonly memberCount: number;
  /** Which member owns which partition now (keys from {@link tpKey}). */
  readonly owners: ReadonlyMap<string, PartitionOwner>;
}

/**
 * Consumer groups of either protocol whose id fully matches, from ListGroups on every broker.
 * With ListGroups v5 the broker says each group's type and leaves share and streams groups out;
 * an older broker has only classic groups, listed by kafkajs. Connect groups are skipped.
 */
export async function listConsumerGroups(
  cluster: RawCluster,
  pattern: RegExp | undefined,
): Promise<ListedConsumerGroup[]> {
  const nodeIds = Object.keys(cluster.brokerPool.brokers);
  const listed = await Promise.all(
    nodeIds.map(async (nodeId) => listOn(await cluster.findBroker({ nodeId }))),
  );
  const byId = new Map<string, ListedConsumerGroup>();
  for (const group of listed.flat()) {
    if (pattern === undefined || fullMatch(pattern, group.groupId)) {
      byId.set(group.groupId, group);
    }
  }
  return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
}

async function listOn(broker: RawBroker): Promise<ListedConsumerGroup[]> {
  if (!brokerSupports(broker, listGroupsV5.apiKey, listGroupsV5.apiVersion)) {
    const { groups } = await broker.listGroups();
    return groups.flatMap((g) => classic(g.groupId, g.protocolType));
  }
  const response = await sendFlexibleRequest(
    broker,
    {
      ...listGroupsV5,
      apiName: 'ListGroups',
      body: encodeListGroupsRequest(['classic', 'consumer']),
    },
    decodeListGroupsResponse,
  );
  if (response.errorCode !== 0) {
    throw kafkaProtocolError(response.errorCode, 'ListGroups');
  }
  return response.groups.flatMap((g) =>
    g.groupType === 'consumer'
      ? [{ groupId: g.groupId, type: 'consumer' as const, simple: false }]
      : classic(g.groupId, g.protocolType),
  );
}

/** Classic groups of the consumer protocol, or of none (offsets only); not Connect's. */
function classic(groupId: string, protocolType: string): ListedConsumerGroup[] {
  return protocolType === 'consumer' || protocolType === ''
    ? [{ groupId, type: 'classic', simple: protocolType === '' }]
    : [];
}

/**
 * State, members and partition owners of each group: DescribeGroups for classic groups and
 * ConsumerGroupDescribe for KIP-848 ones, one request of each kind per coordinator. A group that
 * went back from the consumer to the classic protocol between listing and describing
 * (GROUP_ID_NOT_FOUND) is described again the classic way.
 */
export async function describeConsumerGroups(
  cluster: RawCluster,
  groups: readonly ListedConsumerGroup[],
): Promise<Map<string, GroupDescription>> {
  const coordinators = await Promise.all(
    groups.map(async (group) => ({
      group,
      coordinator: await cluster.findGroupCoordinator({ groupId: group.groupId }),
    })),
  );
  const byNode = new Map<number, { broker: RawBroker; classic: string[]; consumer: string[] }>();
  for (const { group, coordinator } of coordinators) {
    const entry = byNode.get(coordinator.nodeId) ?? {
      broker: coordinator,
      classic: [],
      consumer: [],
    };
    const viaConsumerApi =
      group.type === 'consumer' &&
      brokerSupports(coordinator, consumerGroupDescribe.apiKey, consumerGroupDescribe.apiVersion);
    (viaConsumerApi ? entry.consumer : entry.classic).push(group.groupId);
    byNode.set(coordinator.nodeId, entry);
  }
  const described = await Promise.all(
    [...byNode.values()].map(async ({ broker, classic: classicIds, consumer }) => {
      const fromConsumerApi = await describeKip848(broker, consumer);
      const again = consumer.filter((id) => !fromConsumerApi.has(id));
      const fromClassicApi = await describeClassic(broker, [...classicIds, ...again]);
      return [...fromConsumerApi, ...fromClassicApi];
    }),
  );
  return new Map(described.flat());
}

async function describeClassic(
  broker: RawBroker,
  groupIds: readonly string[],
): Promise<Map<string, GroupDescription>> {
  if (groupIds.length === 0) {
    return new Map();
  }
  const { groups } = await broker.describeGroups({ groupIds: [...groupIds] });
  return new Map(
    groups.map((g) => [
      g.groupId,
      { state: toGroupState(g.state), memberCount: g.members.length, owners: classicOwners(g) },
    ]),
  );
}

/** Groups the broker no longer has as consumer groups are left out, for the caller to retry. */
async function describeKip848(
  broker: RawBroker,
  groupIds: readonly string[],
): Promise<Map<string, GroupDescription>> {
  if (groupIds.length === 0) {
    return new Map();
  }
  const groups = await sendFlexibleRequest(
    broker,
    {
      ...consumerGroupDescribe,
      apiName: 'ConsumerGroupDescribe',
      body: encodeConsumerGroupDescribeRequest(groupIds),
    },
    decodeConsumerGroupDescribeResponse,
  );
  const result = new Map<string, GroupDescription>();
  for (const g of groups) {
    if (g.errorCode === groupIdNotFound) {
      continue;
    }
    if (g.errorCode !== 0) {
      throw kafkaProtocolError(
        g.errorCode,
        `ConsumerGroupDescribe of ${g.groupId}`,
        g.errorMessage,
      );
    }
    const owners = new Map<string, PartitionOwner>();
    for (const member of g.members) {
      const owner = {
        consumerId: member.memberId,
        clientId: member.clientId,
        host: member.clientHost,
      };
      for (const { topicName, partitions } of member.assignment) {
        partitions.forEach((partition) => owners.set(tpKey(topicName, partition), owner));
      }
    }
    result.set(g.groupId, {
      state: toGroupState(g.groupState),
      memberCount: g.members.length,
      owners,
    });
  }
  return result;
}

/** Which member owns which partition, from the consumer-protocol assignments. */
function classicOwners(group: RawGroup): Map<string, PartitionOwner> {
  const owners = new Map<string, PartitionOwner>();
  if (group.protocolType !== 'consumer') {
    return owners;
  }
  for (const member of group.members) {
    let assignment: Record<string, number[]> = {};
    try {
      assignment =
        AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {};
    } catch {
      // Not a consumer-protocol assignment (or empty during a rebalance): owns nothing.
    }
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        owners.set(tpKey(topic, partition), {
          consumerId: member.memberId,
          clientId: member.clientId,
          host: member.clientHost,
        });
      }
    }
  }
  return owners;
}

const groupStates: readonly GroupState[] = [
  'Stable',
  'PreparingRebalance',
  'CompletingRebalance',
  'Empty',
  'Dead',
  'Assigning',
  'Reconciling',
];

function toGroupState(state: string | undefined): GroupState {
  return groupStates.find((s) => s === state) ?? 'Unknown';
}

function fullMatch(pattern: RegExp, value: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, '')).test(value);
}
