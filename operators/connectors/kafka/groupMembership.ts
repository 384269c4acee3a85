import {
  AssignerProtocol,
  PartitionAssigners,
  type GroupDescription,
  type PartitionAssigner,
} from 'kafkajs';

import type { GroupMember } from './streamClient.js';

/**
 * What a member tells the group about itself in its subscription's user data: the same place
 * Kafka Streams puts its interactive-query endpoint (`application.server`). It travels with the
 * JoinGroup request, the coordinator keeps it, and DescribeGroups returns it to anyone who asks,
 * so the instances need no registry of their own to find each other.
 */
interface MemberInfo {
  readonly queryEndpoint?: string;
}

/**
 * kafkajs's round-robin assigner (same protocol name, so members with and without an endpoint
 * can share a group) that puts `queryEndpoint` into the member's subscription metadata.
 */
export function endpointAdvertisingAssigner(queryEndpoint: string): PartitionAssigner {
  const userData = Buffer.from(JSON.stringify({ queryEndpoint } satisfies MemberInfo));
  return (config) => {
    const roundRobin = PartitionAssigners.roundRobin(config);
    return {
      name: roundRobin.name,
      version: roundRobin.version,
      assign: (group) => roundRobin.assign(group),
      protocol: ({ topics }) => ({
        name: roundRobin.name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: roundRobin.version,
          topics,
          userData,
        }),
      }),
    };
  };
}

/**
 * The members of a described group with their assignments and advertised endpoints. A group
 * that is rebalancing describes its members without metadata or assignment: they come back
 * with no partitions.
 */
export function groupMembersOf(group: GroupDescription): GroupMember[] {
  return group.members.map((member) => {
    const assignment = new Map<string, readonly number[]>();
    const decoded =
      member.memberAssignment.length === 0
        ? null
        : AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {})) {
      assignment.set(topic, partitions);
    }
    return {
      memberId: member.memberId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      queryEndpoint: endpointOf(member.memberMetadata),
      assignment,
    };
  });
}

function endpointOf(metadata: Buffer): string | undefined {
  if (metadata.length === 0) {
    return undefined;
  }
  try {
    const userData = AssignerProtocol.MemberMetadata.decode(metadata)?.userData;
    if (userData === undefined || userData.length === 0) {
      return undefined;
    }
    const info = JSON.parse(userData.toString('utf8')) as MemberInfo;
    return typeof info.queryEndpoint === 'string' ? info.queryEndpoint : undefined;
  } catch {
    return undefined; // another client's user data: no endpoint we can use
  }
}
