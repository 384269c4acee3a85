import type { OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';

/** The counter of records a windowed operator refused for their timestamp. */
export const invalidTimestampMetric = 'invalidTimestampRecords';

/**
 * A record whose timestamp no window or join can place: negative, fractional, NaN or infinite.
 * Kafka cannot carry such a timestamp, but a `map` or `process` step can set one, and a
 * record at -5 in a tumbling window used to fall in no window at all and vanish: no output,
 * no late record, no count. It is thrown as a processing failure instead, so the failure
 * policy sends it to the dead-letter topic (the default) with this message as its reason, or
 * stops the job; and it is counted first, whatever the policy decides. (Kafka Streams drops
 * such records with a warning and its `dropped-records` metric, or fails by default.)
 *
 * @category Windowing
 */
export class InvalidTimestampError extends Error {
  override readonly name = 'InvalidTimestampError';
  readonly operator: string;
  readonly timestamp: number;

  constructor(operator: string, timestamp: number) {
    super(
      `${operator}: record timestamp ${String(timestamp)} is not a whole number of milliseconds >= 0, so no window can hold it`,
    );
    this.operator = operator;
    this.timestamp = timestamp;
  }
}

/** True for the timestamps event-time operators accept: whole milliseconds since the epoch. */
export function isValidEventTime(timestamp: number): boolean {
  return Number.isSafeInteger(timestamp) && timestamp >= 0;
}

/**
 * Counts `record` in {@link invalidTimestampMetric} and throws {@link InvalidTimestampError}
 * when its timestamp is not a valid event time; returns otherwise.
 */
export function refuseInvalidTimestamp(
  operator: string,
  record: StreamRecord<unknown, unknown>,
  ctx: Pick<OperatorContext<unknown, unknown>, 'count'>,
): void {
  if (!isValidEventTime(record.timestamp)) {
    ctx.count(invalidTimestampMetric);
    throw new InvalidTimestampError(operator, record.timestamp);
  }
}
