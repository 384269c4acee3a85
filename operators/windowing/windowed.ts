import { DeserializationError, type Serde, type SerdeContext } from '../serdes/serde.js';

/**
 * The key of a windowed aggregate: the grouping key and its window.
 *
 * @category Windowing
 */
export interface Windowed<TKey> {
  readonly key: TKey;
  /** Inclusive, epoch ms. */
  readonly start: number;
  /** Exclusive for tumbling and hopping windows, inclusive for sliding and session windows. */
  readonly end: number;
}

/**
 * A serde for windowed keys: the inner key's bytes followed by start and end as 8-byte
 * big-endian integers.
 *
 * @category Windowing
 */
export function windowedSerde<TKey>(inner: Serde<TKey>): Serde<Windowed<TKey>> {
  return {
    name: `windowed(${inner.name})`,
    serialize: (windowed: Windowed<TKey>, context: SerdeContext) => {
      const key = inner.serialize(windowed.key, context) ?? new Uint8Array(0);
      const bytes = Buffer.allocUnsafe(key.length + 16);
      bytes.set(key, 0);
      bytes.writeBigInt64BE(BigInt(windowed.start), key.length);
      bytes.writeBigInt64BE(BigInt(windowed.end), key.length + 8);
      return bytes;
    },
    deserialize: (bytes: Uint8Array | null, context: SerdeContext) => {
      if (bytes === null || bytes.length < 16) {
        throw new DeserializationError(`${inner.name}: a windowed key needs at least 16 bytes`);
      }
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      const keyLength = bytes.length - 16;
      return {
        key: inner.deserialize(bytes.subarray(0, keyLength), context),
        start: Number(buffer.readBigInt64BE(keyLength)),
        end: Number(buffer.readBigInt64BE(keyLength + 8)),
      };
    },
  };
}
