import { undeliverableReasons, type UndeliverableReason } from './undeliverableReply.js';

/**
 * The topics a request may name in its `reelstream.reply-to` header: the allow-list checked
 * before a reply is written. Whoever can write the request topic chooses the reply-to, so
 * without it a request could make the serving job write (a tombstone, say) to any topic the job
 * may write.
 *
 * @category Request/reply
 */
export interface ReplyTopicRules {
  /** Topics whose names start with one of these (and go on after it). */
  readonly prefixes?: readonly string[];
  /** These topics exactly. */
  readonly topics?: readonly string[];
}

/**
 * Where a `RequestClient` of `requestTopic` creates its reply topics (a random suffix
 * follows), and so what a serving pipeline answers on by default.
 *
 * @category Request/reply
 */
export function replyTopicPrefix(requestTopic: string): string {
  return `${requestTopic}.replies.`;
}

/** The rules `pipeline.serve` applies when given none: the request clients' own topics. */
export function defaultReplyTopicRules(requestTopic: string): ReplyTopicRules {
  return { prefixes: [replyTopicPrefix(requestTopic)] };
}

/** Kafka's rule for topic names: these characters, at most 249 of them, and not `.` or `..`. */
const legalTopicName = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Why a reply may not go to `topic` under `rules`, or undefined when it may. Kafka's own
 * topics (`__consumer_offsets`, `__transaction_state`) are refused whatever the rules say.
 */
export function refusalOf(topic: string, rules: ReplyTopicRules): UndeliverableReason | undefined {
  if (!legalTopicName.test(topic) || topic === '.' || topic === '..') {
    return undeliverableReasons.invalidTopic;
  }
  if (topic.startsWith('__')) {
    return undeliverableReasons.notAllowed;
  }
  const allowed =
    (rules.topics?.includes(topic) ?? false) ||
    (rules.prefixes?.some((prefix) => topic.length > prefix.length && topic.startsWith(prefix)) ??
      false);
  return allowed ? undefined : undeliverableReasons.notAllowed;
}

/** The refusal as an error message's detail. */
export function refusalDetail(reason: UndeliverableReason): string {
  return reason === undeliverableReasons.invalidTopic
    ? 'not a legal Kafka topic name'
    : 'outside the reply topics this pipeline answers on';
}
