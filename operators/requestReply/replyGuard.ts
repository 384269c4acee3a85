import type { Logger } from 'pino';

import { deadLetterHeaders } from '../runtime/failurePolicy.js';
import { deadLetterRecord } from '../runtime/outputSerializer.js';
import type { OutgoingRecord } from '../runtime/rawRecord.js';
import { headerText } from './protocol.js';
import { ReplyTopicExistence, type ExistingTopics } from './replyTopicExistence.js';
import { UndeliverableLog } from './undeliverableLog.js';
import {
  isUndeliverableReason,
  undeliverableReasons,
  UndeliverableReplyError,
  type UndeliverableReason,
} from './undeliverableReply.js';

/** @category Request/reply */
export interface ReplyGuardOptions {
  /** Of some topics, those that exist: how reply topics are checked. */
  readonly existing: ExistingTopics;
  readonly deadLetterTopic: string;
  readonly logger: Logger;
  /**
   * Called once dead letters that took replies' places were acknowledged, with how many: the
   * job counted each as an output when it took the task's work, and counts it as a dead letter.
   */
  readonly onDeadLettered?: (count: number) => void;
  /** How old a topic's cached existence may get before it is looked up again. Default 1 s. */
  readonly refreshMs?: number;
}

/**
 * The last check on what a serving job sends: a reply whose topic does not exist (its client
 * closed, or never was) is replaced by its request's dead letter before the send, and a send
 * that fails because a reply topic was deleted after that check is sent again without those
 * replies (their dead letters instead), so the other outputs of the batch go out and the job
 * goes on. It also counts and logs every reply dead-lettered anywhere (the rules and the schema
 * are checked earlier, by the serve operator and the output serializer), once its dead letter
 * is acknowledged.
 */
export class ReplyGuard {
  private readonly topics: ReplyTopicExistence;
  private readonly deadLetterTopic: string;
  private readonly log: UndeliverableLog;
  private readonly onDeadLettered: ((count: number) => void) | undefined;

  constructor(options: ReplyGuardOptions) {
    this.topics = new ReplyTopicExistence(options.existing, {
      ...(options.refreshMs === undefined ? {} : { refreshMs: options.refreshMs }),
    });
    this.deadLetterTopic = options.deadLetterTopic;
    this.log = new UndeliverableLog(options.logger);
    this.onDeadLettered = options.onDeadLettered;
  }

  /** `records` with each reply to a topic that does not exist replaced by its dead letter. */
  async screen(records: readonly OutgoingRecord[]): Promise<readonly OutgoingRecord[]> {
    const replyTopics = topicsOfReplies(records);
    if (replyTopics.size === 0) {
      return records;
    }
    const missing = await this.topics.missing(replyTopics);
    return missing.size === 0 ? records : this.deadLettering(records, missing, 'no such topic');
  }

  /**
   * After a send of `records` failed: what to send instead when some reply topic is gone now
   * (deleted between the check and the send): the same records, those replies replaced by
   * their dead letters. Undefined when every reply topic exists: the failure was not theirs.
   */
  async withoutDeleted(
    records: readonly OutgoingRecord[],
  ): Promise<readonly OutgoingRecord[] | undefined> {
    const replyTopics = topicsOfReplies(records);
    if (replyTopics.size === 0) {
      return undefined;
    }
    const missing = await this.topics.missingNow(replyTopics);
    return missing.size === 0
      ? undefined
      : this.deadLettering(records, missing, 'deleted between the check and the send');
  }

  /** A send of `records` failed: their reply topics are looked up again before the next. */
  forgetReplyTopics(records: readonly OutgoingRecord[]): void {
    this.topics.forget(topicsOfReplies(records));
  }

  /** `records` were acknowledged: counts and logs the replies dead-lettered among them. */
  acknowledged(records: readonly OutgoingRecord[]): void {
    let count = 0;
    for (const record of records) {
      if (record.topic !== this.deadLetterTopic) {
        continue;
      }
      const reason = headerText(record.headers[deadLetterHeaders.replyReason]);
      if (isUndeliverableReason(reason)) {
        count += 1;
        this.log.add(reason, headerText(record.headers[deadLetterHeaders.errorMessage]) ?? '');
      }
    }
    if (count > 0) {
      this.onDeadLettered?.(count);
    }
  }

  /** Replies dead-lettered so far, in all and per reason. */
  counts(): { total: number; byReason: Partial<Record<UndeliverableReason, number>> } {
    return this.log.counts();
  }

  /** Logs the counts not yet logged (the job stops). */
  flushLog(): void {
    this.log.flush();
  }

  private deadLettering(
    records: readonly OutgoingRecord[],
    missing: ReadonlySet<string>,
    detail: string,
  ): OutgoingRecord[] {
    return records.map((record) => {
      if (record.reply === undefined || !missing.has(record.topic)) {
        return record;
      }
      const error = new UndeliverableReplyError({
        reason: undeliverableReasons.missingTopic,
        replyTo: record.topic,
        detail,
      });
      const { request, taskId } = record.reply;
      return deadLetterRecord(
        { raw: request, stage: 'production', error, taskId },
        this.deadLetterTopic,
      );
    });
  }
}

function topicsOfReplies(records: readonly OutgoingRecord[]): Set<string> {
  const topics = new Set<string>();
  for (const record of records) {
    if (record.reply !== undefined) {
      topics.add(record.topic);
    }
  }
  return topics;
}
