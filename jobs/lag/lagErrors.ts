import { errorCodes, ReelstreamError } from '../../operators/index.js';

/** The project's error codes that `reelstream lag` fails with (see operators/errors.ts). */
export const lagErrorCodes = {
  /** No consumer group matched the query. Exit code 3. */
  groupNotFound: errorCodes.groupNotFound,
  /** No broker answered (bad address, down, TLS mismatch, timeout). Exit code 4. */
  unreachable: errorCodes.unreachable,
  /** Authentication failed or a DESCRIBE permission is missing. Exit code 4. */
  notAuthorized: errorCodes.notAuthorized,
} as const;

export type LagErrorCode = (typeof lagErrorCodes)[keyof typeof lagErrorCodes];

/** A failure of `reelstream lag`: a {@link ReelstreamError} with one of {@link lagErrorCodes}. */
export class LagError extends ReelstreamError {
  override readonly name = 'LagError';
  declare readonly code: LagErrorCode;

  constructor(code: LagErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retriable: code === lagErrorCodes.unreachable });
  }
}

const authTypes = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);

/**
 * Turns whatever kafkajs threw into a {@link LagError}. kafkajs wraps the real failure in
 * retry errors (`cause`), so the chain is searched for an authentication or authorization error
 * first: "not authorized" is the more useful message when both appear.
 */
export function classifyKafkaError(error: unknown, brokers: readonly string[]): LagError {
  if (error instanceof LagError) {
    return error;
  }
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 10;) {
    chain.push(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  for (const e of chain) {
    if (!(e instanceof Error)) {
      continue;
    }
    const type = (e as { type?: unknown }).type;
    if (
      e.name === 'KafkaJSSASLAuthenticationError' ||
      (typeof type === 'string' && authTypes.has(type))
    ) {
      return new LagError(
        lagErrorCodes.notAuthorized,
        `not authorized by ${brokers.join(',')}: ${e.message} (check the SASL/TLS settings and that the principal has DESCRIBE on the cluster, groups and topics)`,
        { cause: error },
      );
    }
  }
  const last = chain[chain.length - 1];
  const reason = last instanceof Error ? last.message : String(last);
  return new LagError(
    lagErrorCodes.unreachable,
    `cannot reach Kafka at ${brokers.join(',')}: ${reason}`,
    { cause: error },
  );
}
