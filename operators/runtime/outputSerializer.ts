import { refusalDetail, refusalOf } from '../requestReply/replyTopicRules.js';
import {
  undeliverableReasons,
  UndeliverableReplyError,
} from '../requestReply/undeliverableReply.js';
import type { SerdeContext } from '../serdes/serde.js';
import { deadLetterHeaders, errorClass, errorMessage } from './failurePolicy.js';
import type { OutgoingRecord } from './rawRecord.js';
import type { DeadLetter, PendingOutput } from './task.js';

/**
 * Serializes what sinks collected, one batch at a time: awaits each sink serde's preparation
 * (schema registration) once per topic, then serializes every record synchronously.
 *
 * A reply sink's records name their topic themselves (the request's reply-to), so before
 * anything is prepared for a topic the sink's rules are checked, and a topic whose subject the
 * registry refuses the reply schema for is that reply's problem, not the job's: both reach
 * `onFailure` as an {@link UndeliverableReplyError}, which dead-letters the request.
 */
export class OutputSerializer {
  private readonly prepared = new Set<string>();

  async serialize(
    outputs: readonly PendingOutput[],
    onFailure: (output: PendingOutput, error: unknown) => void,
  ): Promise<OutgoingRecord[]> {
    const refused = new Map<string, UndeliverableReplyError>();
    // A batch's outputs mostly share one sink and topic: their id (a string built and hashed)
    // is looked at once per run of them, not per record.
    let lastSink: PendingOutput['sink'] | undefined;
    let lastTopic: string | undefined;
    for (const output of outputs) {
      if (output.sink === lastSink && output.topic === lastTopic) {
        continue;
      }
      lastSink = output.sink;
      lastTopic = output.topic;
      const id = `${output.sink.name}\u0000${output.topic}`;
      if (this.prepared.has(id) || refused.has(id)) {
        continue;
      }
      const refusal = this.refusal(output);
      if (refusal !== undefined) {
        refused.set(id, refusal);
        continue;
      }
      try {
        await output.sink.keySerde.prepareSerialize?.({ topic: output.topic, isKey: true });
        await output.sink.valueSerde.prepareSerialize?.({ topic: output.topic, isKey: false });
      } catch (error) {
        if (output.sink.replyTopics === undefined || !registryRefused(error)) {
          throw error;
        }
        refused.set(
          id,
          new UndeliverableReplyError({
            reason: undeliverableReasons.incompatibleSchema,
            replyTo: output.topic,
            detail: `the registry refused the reply schema: ${errorMessage(error)}`,
            cause: error,
          }),
        );
        continue;
      }
      this.prepared.add(id);
    }
    const records: OutgoingRecord[] = [];
    for (const output of outputs) {
      const { record, topic, sink } = output;
      const refusal = refused.size === 0 ? undefined : refused.get(`${sink.name}\u0000${topic}`);
      if (refusal !== undefined) {
        onFailure(output, refusal);
        continue;
      }
      const keyContext: SerdeContext = { topic, isKey: true, headers: record.headers };
      const valueContext: SerdeContext = { topic, isKey: false, headers: record.headers };
      try {
        const key = sink.keySerde.serialize(record.key, keyContext);
        const value = sink.valueSerde.serialize(record.value, valueContext);
        const { timestamp, headers } = record;
        // Two literals, not a spread of the optional field (twice the literal's cost).
        records.push(
          output.reply === undefined
            ? { topic, key, value, timestamp, headers }
            : { topic, key, value, timestamp, headers, reply: output.reply },
        );
      } catch (error) {
        onFailure(output, error);
      }
    }
    return records;
  }

  /** Why a reply sink's record may not go to its topic (the serve operator checked it too). */
  private refusal(output: PendingOutput): UndeliverableReplyError | undefined {
    const rules = output.sink.replyTopics;
    const reason = rules === undefined ? undefined : refusalOf(output.topic, rules);
    return reason === undefined
      ? undefined
      : new UndeliverableReplyError({
          reason,
          replyTo: output.topic,
          detail: refusalDetail(reason),
        });
  }
}

/**
 * Whether the registry refused a schema (409: incompatible with the subject's, 422: invalid),
 * as opposed to not answering or refusing the job itself (401, 5xx): only the first is the
 * reply topic's fault.
 */
function registryRefused(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 409 || status === 422;
}

/** The dead-letter record for a failed input: its original bytes, its origin in headers. */
export function deadLetterRecord(letter: DeadLetter, topic: string): OutgoingRecord {
  const { raw } = letter;
  // A request's own headers could claim a reply reason; only the runtime's counts.
  const headers: Record<string, string | Uint8Array> = { ...raw.headers };
  delete headers[deadLetterHeaders.replyReason];
  return {
    topic,
    key: raw.key,
    value: raw.value,
    timestamp: raw.timestamp,
    // Keyed by the original key, so dead letters of one key stay in order in the DLQ.
    headers: {
      ...headers,
      [deadLetterHeaders.topic]: raw.topic,
      [deadLetterHeaders.partition]: String(raw.partition),
      [deadLetterHeaders.offset]: raw.offset,
      [deadLetterHeaders.stage]: letter.stage,
      [deadLetterHeaders.errorClass]: errorClass(letter.error),
      [deadLetterHeaders.errorMessage]: errorMessage(letter.error).slice(0, 1000),
      [deadLetterHeaders.task]: letter.taskId,
      ...(letter.error instanceof UndeliverableReplyError
        ? { [deadLetterHeaders.replyReason]: letter.error.reason }
        : {}),
    },
  };
}
