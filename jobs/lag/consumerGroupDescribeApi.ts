import { WireReader, WireWriter } from './kafkaWire.js';

/**
 * ConsumerGroupDescribe (API key 69, version 0; KIP-848): what DescribeGroups is for classic
 * groups, for groups on the `consumer` protocol (`group.protocol=consumer`). DescribeGroups does
 * not describe those (the broker answers state Dead, no members), and kafkajs 2.2.4 cannot send
 * this request, so it is encoded here from Kafka's message definitions
 * (clients/src/main/resources/common/message/ConsumerGroupDescribe{Request,Response}.json).
 * Version 0 is flexible: compact types and tagged fields throughout.
 */
export const consumerGroupDescribe = { apiKey: 69, apiVersion: 0 } as const;

export interface DescribedConsumerGroup {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly groupId: string;
  /** Empty, Assigning, Reconciling, Stable or Dead. */
  readonly groupState: string;
  readonly members: readonly DescribedMember[];
}

export interface DescribedMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's current assignment (what kafka-consumer-groups shows as its partitions). */
  readonly assignment: readonly { topicName: string; partitions: readonly number[] }[];
}

export function encodeConsumerGroupDescribeRequest(groupIds: readonly string[]): Buffer {
  const writer = new WireWriter();
  writer.compactArray(groupIds, (id) => writer.compactString(id));
  writer.bool(false); // IncludeAuthorizedOperations
  return writer.noTaggedFields().toBuffer();
}

/** Decodes the response body (after the response header). */
export function decodeConsumerGroupDescribeResponse(body: Buffer): DescribedConsumerGroup[] {
  const reader = new WireReader(body);
  reader.int32(); // ThrottleTimeMs
  const groups = reader.compactArray(() => {
    const errorCode = reader.int16();
    const errorMessage = reader.compactNullableString();
    const groupId = reader.compactString();
    const groupState = reader.compactString();
    reader.int32(); // GroupEpoch
    reader.int32(); // AssignmentEpoch
    reader.compactString(); // AssignorName
    const members = reader.compactArray(() => readMember(reader));
    reader.int32(); // AuthorizedOperations
    reader.skipTaggedFields();
    return { errorCode, errorMessage, groupId, groupState, members };
  });
  reader.skipTaggedFields();
  return groups;
}

function readMember(reader: WireReader): DescribedMember {
  const memberId = reader.compactString();
  reader.compactNullableString(); // InstanceId
  reader.compactNullableString(); // RackId
  reader.int32(); // MemberEpoch
  const clientId = reader.compactString();
  const clientHost = reader.compactString();
  reader.compactArray(() => reader.compactString()); // SubscribedTopicNames
  reader.compactNullableString(); // SubscribedTopicRegex
  const assignment = readAssignment(reader);
  readAssignment(reader); // TargetAssignment: where the group is heading, not what is owned
  reader.skipTaggedFields();
  return { memberId, clientId, clientHost, assignment };
}

function readAssignment(reader: WireReader): DescribedMember['assignment'] {
  const topics = reader.compactArray(() => {
    reader.uuid(); // TopicId
    const topicName = reader.compactString();
    const partitions = reader.compactArray(() => reader.int32());
    reader.skipTaggedFields();
    return { topicName, partitions };
  });
  reader.skipTaggedFields();
  return topics;
}
