/**
 * Whether an error says the broker or the schema registry could not be reached (down,
 * restarting, paused, electing a leader), as opposed to a fault of the job or its input. A job
 * rides through the first kind: it gives up the members and transactions it had, waits, and
 * resumes from what it committed. The second kind stops it.
 *
 * kafkajs wraps its errors (a refused connection can come up as `KafkaJSNonRetriableError` or
 * `KafkaJSNumberOfRetriesExceeded` with the connection error as its cause), so the whole cause
 * chain is looked at, and the names and codes below are matched wherever they are.
 */
export function isTransient(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (
      transientNames.has(link.name ?? '') ||
      (typeof link.code === 'string' && transientCodes.has(link.code))
    ) {
      return true;
    }
    if (link.type !== undefined && transientProtocolErrors.has(link.type)) {
      return true;
    }
    // The schema registry client's RestError: the registry answered 5xx (starting, overloaded).
    if (typeof link.status === 'number' && link.status >= 500 && link.status <= 599) {
      return true;
    }
    // kafkajs's retrier wraps an error it will not retry as `KafkaJSNonRetriableError(e)`,
    // which keeps e's message and drops e itself: the socket error's code survives only there.
    if (
      link.name?.startsWith('KafkaJS') === true &&
      socketErrorInMessage.test(link.message ?? '')
    ) {
      return true;
    }
  }
  return false;
}

/** The error's message with its causes', for a log line: `a: b: c`. */
export function causeMessages(error: unknown): string {
  return causeChain(error)
    .map((link) => link.message ?? '')
    .filter((message, index, all) => message !== '' && all.indexOf(message) === index)
    .join(': ');
}

interface ErrorLink {
  readonly name?: string;
  readonly code?: unknown;
  readonly type?: string;
  readonly status?: unknown;
  readonly message?: string;
}

/** The error, its `cause`, kafkajs's `originalError`, and so on, at most 8 deep. */
function causeChain(error: unknown): ErrorLink[] {
  const chain: ErrorLink[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 8) {
    const link = current as ErrorLink & { cause?: unknown; originalError?: unknown };
    chain.push(link);
    current = link.cause ?? link.originalError;
  }
  return chain;
}

/** kafkajs errors that mean "no broker answered in time". */
const transientNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSLockTimeout',
  'KafkaJSStaleTopicMetadataAssignment',
]);

/** A socket error code in a message, for errors that lost their cause (see above). */
const socketErrorInMessage =
  /\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH)\b/;

/** Socket errors of a peer that is down, restarting or unreachable. */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Kafka protocol errors a restarting cluster answers with: its coordinators and leaders are
 * not loaded yet. Authorization errors are not here, and neither is UNKNOWN_TOPIC_OR_PARTITION
 * (kafkajs retries it itself; past that, the topic is gone, which no restart mends).
 */
const transientProtocolErrors = new Set([
  // kafkajs names some codes as Kafka did before KIP-848 renamed them: both spellings are here.
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'KAFKA_STORAGE_ERROR',
  'BROKER_NOT_AVAILABLE',
  'REBALANCE_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
  // After a long outage the transaction coordinator has aborted the open transactions (their
  // timeout passed) and bumped the producers' epochs: the job's producers are fenced, and a
  // restart from the committed state is the way back, as for a task that moved away.
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'UNKNOWN_PRODUCER_ID',
]);
