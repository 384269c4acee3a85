import type { Kafka } from 'kafkajs';

import { WireReader } from './kafkaWire.js';

/**
 * The slice of kafkajs's internal cluster and broker API that `reelstream lag` uses, typed here
 * because kafkajs does not export it. The admin client cannot do what lag monitoring needs:
 * ListOffsets with isolation level read_committed (the last stable offset), one ListOffsets per
 * broker for all partitions instead of two per topic, a raw Fetch at an arbitrary offset
 * without joining a group (kafkajs has no `assign()`), and requests kafkajs does not know at all
 * (ConsumerGroupDescribe, ListGroups v5: {@link sendFlexibleRequest}). Confined to this file;
 * checked against kafkajs 2.2.4.
 */
export interface RawBroker {
  /** The broker's ApiVersions answer by API key, once connected. */
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  metadata(topics: string[]): Promise<RawMetadata>;
  listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }>;
  describeGroups(request: { groupIds: string[] }): Promise<{ groups: RawGroup[] }>;
  offsetFetch(request: { groupId: string; topics: [] }): Promise<{
    responses: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }>;
  listOffsets(request: {
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[];
  }): Promise<{
    responses: {
      topic: string;
      partitions: { partition: number; errorCode: number; offset: string }[];
    }[];
  }>;
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
    }[];
  }): Promise<{ responses: { topicName: string; partitions: RawFetchPartition[] }[] }>;
}

export interface RawMetadata {
  brokers: { nodeId: number; host: string; port: number }[];
  topicMetadata: {
    topic: string;
    topicErrorCode: number;
    partitionMetadata: { partitionId: number; leader: number; partitionErrorCode: number }[];
  }[];
}

export interface RawGroup {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    memberAssignment: Buffer;
  }[];
}

export interface RawFetchPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  abortedTransactions: { producerId: string; firstOffset: string }[] | null;
  messages: RawFetchedMessage[];
}

export interface RawFetchedMessage {
  offset: string;
  timestamp: string;
  isControlRecord?: boolean;
  key: Buffer | null;
  batchContext?: { inTransaction: boolean; producerId: string };
}

export interface RawCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  metadata(options: { topics: string[] }): Promise<RawMetadata>;
  findBroker(options: { nodeId: string }): Promise<RawBroker>;
  findGroupCoordinator(options: { groupId: string }): Promise<RawBroker & { nodeId: number }>;
  brokerPool: { brokers: Record<string, unknown> };
}

type CreateCluster = (options: {
  metadataMaxAge: number;
  allowAutoTopicCreation: boolean;
}) => RawCluster;

/**
 * A new cluster connection built by the Kafka client's own private factory, so it carries exactly
 * the brokers, SASL, TLS and timeouts `createKafkaJs` configured.
 */
export function rawCluster(kafka: Kafka): RawCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory: unknown = symbol === undefined ? undefined : Reflect.get(kafka, symbol);
  if (typeof factory !== 'function') {
    throw new Error('kafkajs internals changed: Kafka has no private createCluster (want 2.2.x)');
  }
  return (factory as CreateCluster).call(kafka, {
    metadataMaxAge: 0,
    allowAutoTopicCreation: false,
  });
}

/** Whether the broker accepts this version of this API (it must have been connected). */
export function brokerSupports(broker: RawBroker, apiKey: number, apiVersion: number): boolean {
  const range = broker.versions?.[apiKey];
  return range !== undefined && range.minVersion <= apiVersion && apiVersion <= range.maxVersion;
}

/**
 * Sends a request kafkajs has no encoder for, over the broker's own connection (its SASL, TLS,
 * timeouts and correlation ids), and decodes the answer with `decode`. Only for flexible versions
 * (request header v2, response header v1): kafkajs writes the v1 request header, so the body
 * starts with the header's empty tagged-field section, and the response body with the response
 * header's, which is skipped before `decode` sees it.
 */
export async function sendFlexibleRequest<TResponse>(
  broker: RawBroker,
  request: { apiKey: number; apiVersion: number; apiName: string; body: Buffer },
  decode: (body: Buffer) => TResponse,
): Promise<TResponse> {
  const symbol = Object.getOwnPropertySymbols(Object.getPrototypeOf(broker) as object).find(
    (s) => s.description === 'private:Broker:sendRequest',
  );
  const send: unknown = symbol === undefined ? undefined : Reflect.get(broker, symbol);
  if (typeof send !== 'function') {
    throw new Error('kafkajs internals changed: Broker has no private sendRequest (want 2.2.x)');
  }
  // What kafkajs's Encoder exposes to the connection: the bytes, as `buf` and `buffer`.
  const payload = Buffer.concat([Buffer.of(0), request.body]);
  const protocolRequest = {
    request: {
      apiKey: request.apiKey,
      apiVersion: request.apiVersion,
      apiName: request.apiName,
      encode: () => Promise.resolve({ buf: payload, buffer: payload }),
    },
    response: {
      decode: (body: Buffer) => Promise.resolve(decode(skipResponseHeaderTags(body))),
      parse: (data: TResponse) => Promise.resolve(data),
    },
  };
  return await (send as (r: unknown) => Promise<TResponse>).call(broker, protocolRequest);
}

/** The response header v1's tagged-field section (always empty from today's brokers). */
function skipResponseHeaderTags(body: Buffer): Buffer {
  const reader = new WireReader(body);
  reader.skipTaggedFields();
  return body.subarray(reader.position);
}
