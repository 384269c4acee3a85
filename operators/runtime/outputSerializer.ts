import type { SerdeContext } from '../serdes/serde.js';
import { deadLetterHeaders, errorClass, errorMessage } from './failurePolicy.js';
import type { OutgoingRecord } from './rawRecord.js';
import type { DeadLetter, PendingOutput } from './task.js';

/**
 * Serializes what sinks collected, one batch at a time: awaits each sink serde's preparation
 * (schema registration) once per topic, then serializes every record synchronously.
 */
export class OutputSerializer {
  private readonly prepared = new Set<string>();

  async serialize(
    outputs: readonly PendingOutput[],
    onFailure: (output: PendingOutput, error: unknown) => void,
  ): Promise<OutgoingRecord[]> {
    for (const output of outputs) {
      const id = `${output.sink.name}\u0000${output.topic}`;
      if (!this.prepared.has(id)) {
        await output.sink.keySerde.prepareSerialize?.({ topic: output.topic, isKey: true });
        await output.sink.valueSerde.prepareSerialize?.({ topic: output.topic, isKey: false });
        this.prepared.add(id);
      }
    }
    const records: OutgoingRecord[] = [];
    for (const output of outputs) {
      const { record, topic, sink } = output;
      const keyContext: SerdeContext = { topic, isKey: true, headers: record.headers };
      const valueContext: SerdeContext = { topic, isKey: false, headers: record.headers };
      try {
        records.push({
          topic,
          key: sink.keySerde.serialize(record.key, keyContext),
          value: sink.valueSerde.serialize(record.value, valueContext),
          timestamp: record.timestamp,
          headers: record.headers,
        });
      } catch (error) {
        onFailure(output, error);
      }
    }
    return records;
  }
}

/** The dead-letter record for a failed input: its original bytes, its origin in headers. */
export function deadLetterRecord(letter: DeadLetter, topic: string): OutgoingRecord {
  const { raw } = letter;
  return {
    topic,
    key: raw.key,
    value: raw.value,
    timestamp: raw.timestamp,
    // Keyed by the original key, so dead letters of one key stay in order in the DLQ.
    headers: {
      ...raw.headers,
      [deadLetterHeaders.topic]: raw.topic,
      [deadLetterHeaders.partition]: String(raw.partition),
      [deadLetterHeaders.offset]: raw.offset,
      [deadLetterHeaders.stage]: letter.stage,
      [deadLetterHeaders.errorClass]: errorClass(letter.error),
      [deadLetterHeaders.errorMessage]: errorMessage(letter.error).slice(0, 1000),
      [deadLetterHeaders.task]: letter.taskId,
    },
  };
}
