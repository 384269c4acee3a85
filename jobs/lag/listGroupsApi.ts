import { WireReader, WireWriter } from './kafkaWire.js';

/**
 * ListGroups version 5 (API key 16; KIP-518 states, KIP-848 types): the listing says each group's
 * type, so KIP-848 `consumer` groups can be told from classic ones (they need
 * ConsumerGroupDescribe), and the types filter leaves share and streams groups on the broker.
 * kafkajs 2.2.4 sends only versions 0-2, which have neither. Encoded from Kafka's
 * ListGroups{Request,Response}.json; version 5 is flexible.
 */
export const listGroupsV5 = { apiKey: 16, apiVersion: 5 } as const;

/** Group types as Kafka names them (`GroupType`): the two a consumer can be in. */
export type ListedGroupType = 'classic' | 'consumer';

export interface ListedGroup {
  readonly groupId: string;
  /** `consumer` for consumer groups of either protocol, `connect` for Connect, '' for offsets only. */
  readonly protocolType: string;
  readonly groupState: string;
  readonly groupType: string;
}

export function encodeListGroupsRequest(types: readonly ListedGroupType[]): Buffer {
  const writer = new WireWriter();
  writer.compactArray([], () => undefined); // StatesFilter: every state
  writer.compactArray(types, (type) => writer.compactString(type));
  return writer.noTaggedFields().toBuffer();
}

export function decodeListGroupsResponse(body: Buffer): {
  errorCode: number;
  groups: ListedGroup[];
} {
  const reader = new WireReader(body);
  reader.int32(); // ThrottleTimeMs
  const errorCode = reader.int16();
  const groups = reader.compactArray(() => {
    const groupId = reader.compactString();
    const protocolType = reader.compactString();
    const groupState = reader.compactString();
    const groupType = reader.compactString();
    reader.skipTaggedFields();
    return { groupId, protocolType, groupState, groupType };
  });
  reader.skipTaggedFields();
  return { errorCode, groups };
}
