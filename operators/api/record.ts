/**
 * Kafka record headers: values are bytes or strings, as on the wire.
 *
 * @category API
 */
export type Headers = Readonly<Record<string, string | Uint8Array>>;

/**
 * Where a record was read from: set on records that came from a topic, carried unchanged through
 * stateless operators so that failure handlers can name the origin of a bad record.
 *
 * @category API
 */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * One immutable record flowing through a pipeline. Every `with*` method returns a new record,
 * re-typed where the key or value type changes, so an operator can never mutate what another
 * operator still holds.
 *
 * @example
 * ```ts
 * import { StreamRecord } from 'reelstream';
 *
 * const r = StreamRecord.of({ key: 'user-1', value: 42, timestamp: 0 });
 * const s: StreamRecord<string, string> = r.withValue(String(r.value));
 * ```
 * @category API
 */
export class StreamRecord<TKey, TValue> {
  readonly key: TKey;
  readonly value: TValue;
  /** Event time, epoch milliseconds. */
  readonly timestamp: number;
  readonly headers: Headers;
  readonly origin: RecordOrigin | undefined;

  // Key and value apart, the rest from any object that has it (the record being derived from):
  // every `with*` of every operator makes a record, and building each through a fields literal
  // and a spread cost two more objects (issue 22: four records per window update in the
  // stateful bench).
  private constructor(key: TKey, value: TValue, rest: RecordRest) {
    this.key = key;
    this.value = value;
    this.timestamp = rest.timestamp;
    this.headers = rest.headers ?? emptyHeaders;
    this.origin = rest.origin;
  }

  static of<TKey, TValue>(fields: RecordFields<TKey, TValue>): StreamRecord<TKey, TValue> {
    return new StreamRecord(fields.key, fields.value, fields);
  }

  withKey<TNewKey>(key: TNewKey): StreamRecord<TNewKey, TValue> {
    return new StreamRecord(key, this.value, this);
  }

  withValue<TNewValue>(value: TNewValue): StreamRecord<TKey, TNewValue> {
    return new StreamRecord(this.key, value, this);
  }

  withTimestamp(timestamp: number): StreamRecord<TKey, TValue> {
    return new StreamRecord(this.key, this.value, {
      timestamp,
      headers: this.headers,
      origin: this.origin,
    });
  }

  withHeaders(headers: Headers): StreamRecord<TKey, TValue> {
    return new StreamRecord(this.key, this.value, {
      timestamp: this.timestamp,
      headers,
      origin: this.origin,
    });
  }
}

/** What a record carries besides its key and value. */
type RecordRest = Pick<RecordFields<unknown, unknown>, 'timestamp' | 'headers' | 'origin'>;

/** @category API */
export interface RecordFields<TKey, TValue> {
  readonly key: TKey;
  readonly value: TValue;
  readonly timestamp: number;
  readonly headers?: Headers;
  readonly origin?: RecordOrigin | undefined;
}

const emptyHeaders: Headers = Object.freeze({});
