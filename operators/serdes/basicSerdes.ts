import { DeserializationError, type Serde } from './serde.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function requireBytes(bytes: Uint8Array | null, serde: string): Uint8Array {
  if (bytes === null) {
    throw new DeserializationError(`${serde} cannot read a null (tombstone) payload`);
  }
  return bytes;
}

/**
 * UTF-8 strings.
 *
 * @category Serdes
 */
export const stringSerde: Serde<string> = {
  name: 'string',
  // Buffer.from, not TextEncoder: the same bytes, from Node's buffer pool, 3x faster for the
  // short ids that are most keys (a store key, a timer key and an output key per record).
  serialize: (value) => Buffer.from(value, 'utf8'),
  deserialize: (bytes) => {
    try {
      return decoder.decode(requireBytes(bytes, 'string'));
    } catch (error) {
      if (error instanceof DeserializationError) {
        throw error;
      }
      throw new DeserializationError('payload is not valid UTF-8', { cause: error });
    }
  },
};

/**
 * Raw bytes, passed through.
 *
 * @category Serdes
 */
export const bytesSerde: Serde<Uint8Array> = {
  name: 'bytes',
  serialize: (value) => value,
  deserialize: (bytes) => requireBytes(bytes, 'bytes'),
};

/**
 * A number as an 8-byte big-endian IEEE 754 double: counts and sums in state stores. For keys,
 * non-negative numbers sort in numeric order.
 *
 * @category Serdes
 */
export const float64Serde: Serde<number> = {
  name: 'float64',
  serialize: (value) => {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeDoubleBE(value);
    return bytes;
  },
  deserialize: (bytes) => {
    const data = requireBytes(bytes, 'float64');
    if (data.length !== 8) {
      throw new DeserializationError(`float64: expected 8 bytes, got ${data.length}`);
    }
    return Buffer.from(data.buffer, data.byteOffset, 8).readDoubleBE(0);
  },
};

/**
 * JSON text. The type parameter is the caller's promise about the shape; pair it with a
 * validating `mapValues` when the producer is not trusted.
 *
 * @category Serdes
 */
export function jsonSerde<T>(): Serde<T> {
  return {
    name: 'json',
    serialize: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    deserialize: (bytes) => {
      const text = stringSerde.deserialize(bytes, { topic: '', isKey: false });
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new DeserializationError('payload is not valid JSON', { cause: error });
      }
    },
  };
}

/**
 * Accepts Kafka nulls (tombstones, absent keys) as `null` around any serde.
 *
 * @category Serdes
 */
export function nullable<T>(inner: Serde<T>): Serde<T | null> {
  return {
    ...inner,
    name: `nullable(${inner.name})`,
    serialize: (value, context) => (value === null ? null : inner.serialize(value, context)),
    deserialize: (bytes, context) => (bytes === null ? null : inner.deserialize(bytes, context)),
  };
}
