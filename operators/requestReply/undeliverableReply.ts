/**
 * Why a reply could not be delivered. The request is dead-lettered instead, with this reason in
 * its `reelstream.dlq.reply.reason` header.
 *
 * @category Request/reply
 */
export const undeliverableReasons = {
  /** The reply-to header is not a legal Kafka topic name (characters, length). */
  invalidTopic: 'INVALID_TOPIC',
  /** The reply-to topic is outside the topics the serving pipeline may answer on. */
  notAllowed: 'NOT_ALLOWED',
  /** No such topic: never created, or deleted (a request client that closed). */
  missingTopic: 'MISSING_TOPIC',
  /** The registry refused the reply schema for the topic's subject (another schema lives there). */
  incompatibleSchema: 'INCOMPATIBLE_SCHEMA',
} as const;

/** @category Request/reply */
export type UndeliverableReason = (typeof undeliverableReasons)[keyof typeof undeliverableReasons];

/**
 * A reply that cannot go to its reply-to topic. Never the job's failure: whatever the failure
 * policy, the request goes to the dead-letter topic and the job answers the next one.
 *
 * @category Request/reply
 */
export class UndeliverableReplyError extends Error {
  override readonly name = 'UndeliverableReplyError';
  readonly reason: UndeliverableReason;
  readonly replyTo: string;

  constructor(fields: {
    readonly reason: UndeliverableReason;
    readonly replyTo: string;
    /** What is wrong with the topic, for the message. */
    readonly detail: string;
    readonly cause?: unknown;
  }) {
    const { reason, replyTo, detail, cause } = fields;
    super(`reply to ${shown(replyTo)} undeliverable (${reason}): ${detail}`, { cause });
    this.reason = reason;
    this.replyTo = replyTo;
  }
}

/** The topic for a message: quoted (it may hold anything), and cut (it may be megabytes). */
function shown(topic: string): string {
  const limit = 120;
  return JSON.stringify(topic.length > limit ? `${topic.slice(0, limit)}…` : topic);
}

const reasons: ReadonlySet<string> = new Set(Object.values(undeliverableReasons));

/** Whether a header's text names an {@link UndeliverableReason}. */
export function isUndeliverableReason(text: string | undefined): text is UndeliverableReason {
  return text !== undefined && reasons.has(text);
}
