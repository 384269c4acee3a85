/**
 * The error codes the lag monitor's own requests (ConsumerGroupDescribe, ListGroups v5) can answer
 * with, by Kafka's names (org.apache.kafka.common.protocol.Errors). The error carries the name as
 * `type`, as kafkajs's own errors do, so classifyKafkaError tells "not authorized" from the rest.
 */
const names: Record<number, string> = {
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  24: 'INVALID_GROUP_ID',
  30: 'GROUP_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  35: 'UNSUPPORTED_VERSION',
  42: 'INVALID_REQUEST',
  69: 'GROUP_ID_NOT_FOUND',
};

export const groupIdNotFound = 69;

export function kafkaProtocolError(
  code: number,
  context: string,
  message?: string | null,
): Error & { type: string } {
  const type = names[code] ?? `ERROR_CODE_${code}`;
  const detail = message === undefined || message === null || message === '' ? '' : `: ${message}`;
  return Object.assign(new Error(`${context} failed with ${type}${detail}`), { type });
}
