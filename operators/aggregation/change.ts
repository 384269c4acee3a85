import { DeserializationError, type Serde, type SerdeContext } from '../serdes/serde.js';

/**
 * A table's update as a re-aggregation needs it: the key's value before and after (`null`:
 * absent). Kafka Streams' `Change`. A table that is grouped again sends these on its
 * `changes` side output, so the grouped aggregation can subtract the old value from its old
 * group and add the new one to its new group.
 */
export interface Change<T> {
  readonly oldValue: T | null;
  readonly newValue: T | null;
}

/** The side output on which tables forward their {@link Change}s (old and new values). */
export const changesOutput = 'changes';

/**
 * Which tables must send their changes: set by `Table.groupBy` while the pipeline is built, read
 * when a task creates the table's operator, so a table nobody groups reads no old values.
 */
export interface ChangeFeed {
  wanted: boolean;
}

/**
 * A change on the wire (the repartition topic between a table's groupBy and its aggregation):
 * a flags byte (1: old present, 2: new present), then the old value's length as a 4-byte
 * big-endian integer and its bytes, then the new value's bytes. The inner serde sees each
 * value with the repartition topic's context, so an Avro inner serde registers under it.
 */
export function changeSerde<T>(inner: Serde<T>): Serde<Change<T>> {
  const encode = (value: T | null, context: SerdeContext): Uint8Array | null =>
    value === null ? null : inner.serialize(value, context);
  return {
    name: `change(${inner.name})`,
    serialize: (change, context) => {
      const oldBytes = encode(change.oldValue, context);
      const newBytes = encode(change.newValue, context);
      const oldLength = oldBytes?.length ?? 0;
      const out = Buffer.alloc(5 + oldLength + (newBytes?.length ?? 0));
      out.writeUInt8((oldBytes === null ? 0 : 1) | (newBytes === null ? 0 : 2), 0);
      out.writeUInt32BE(oldLength, 1);
      if (oldBytes !== null) {
        out.set(oldBytes, 5);
      }
      if (newBytes !== null) {
        out.set(newBytes, 5 + oldLength);
      }
      return out;
    },
    deserialize: (bytes, context) => {
      const { oldBytes, newBytes } = splitChange(bytes);
      return {
        oldValue: oldBytes === null ? null : inner.deserialize(oldBytes, context),
        newValue: newBytes === null ? null : inner.deserialize(newBytes, context),
      };
    },
    ...(inner.configure === undefined ? {} : { configure: inner.configure }),
    ...(inner.prepareSerialize === undefined ? {} : { prepareSerialize: inner.prepareSerialize }),
    ...(inner.prepareDeserialize === undefined
      ? {}
      : {
          prepareDeserialize: (payloads: readonly (Uint8Array | null)[], context: SerdeContext) =>
            inner.prepareDeserialize?.(
              payloads.flatMap((payload) => {
                const { oldBytes, newBytes } = splitChange(payload);
                return [oldBytes, newBytes].filter((b): b is Uint8Array => b !== null);
              }),
              context,
            ),
        }),
  };
}

function splitChange(bytes: Uint8Array | null): {
  oldBytes: Uint8Array | null;
  newBytes: Uint8Array | null;
} {
  if (bytes === null || bytes.length < 5) {
    throw new DeserializationError('a table change record has at least 5 bytes');
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = buffer.readUInt8(0);
  const oldLength = buffer.readUInt32BE(1);
  return {
    oldBytes: (flags & 1) === 0 ? null : buffer.subarray(5, 5 + oldLength),
    newBytes: (flags & 2) === 0 ? null : buffer.subarray(5 + oldLength),
  };
}
