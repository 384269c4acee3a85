/**
 * The request/reply protocol on Kafka, in record headers (all values UTF-8 strings):
 *
 * - a request carries `correlationId` (unique per request), `replyTo` (the topic to answer on)
 *   and `deadline` (epoch ms after which the caller no longer waits);
 * - a reply carries the request's `correlationId`; an error reply has a null value and carries
 *   `errorCode` (one of {@link requestErrorCodes}) and `errorMessage`.
 *
 * @category Request/reply
 */
export const requestHeaders = {
  correlationId: 'reelstream.correlation-id',
  replyTo: 'reelstream.reply-to',
  deadline: 'reelstream.deadline',
  errorCode: 'reelstream.error-code',
  errorMessage: 'reelstream.error-message',
} as const;

/**
 * Why a request got an error reply.
 *
 * @category Request/reply
 */
export const requestErrorCodes = {
  /** The request's bytes could not be read with the serving pipeline's serdes. */
  badRequest: 'BAD_REQUEST',
  /** The handler threw; the message is the error's. */
  handlerFailed: 'HANDLER_FAILED',
  /** The request reached the server after its deadline; the handler was not called. */
  deadlineExceeded: 'DEADLINE_EXCEEDED',
} as const;

/** @category Request/reply */
export type RequestErrorCode = (typeof requestErrorCodes)[keyof typeof requestErrorCodes];

export function headerText(value: string | Uint8Array | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}
