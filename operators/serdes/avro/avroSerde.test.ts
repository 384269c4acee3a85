import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../../schemas/generated/watchHeartbeat.js';
import { DeserializationError, UnknownSchemaError } from '../serde.js';
import { avroBinarySerde } from './avroBinarySerde.js';
import { avroSerde } from './avroSerde.js';
import { InMemorySchemaCatalog } from './inMemorySchemaCatalog.js';

const heartbeat: WatchHeartbeat = {
  userId: 'u1',
  videoId: 'v1',
  sessionId: 's1',
  watchedMs: 12_345,
  eventTime: 1_795_500_000_000,
};
const context = { topic: 'heartbeats', isKey: false };

test('round trip in Confluent wire format, including values larger than the scratch buffer', async () => {
  const schemas = new InMemorySchemaCatalog();
  const serde = avroSerde(watchHeartbeatSchema);
  serde.configure?.({ schemas });
  await serde.prepareSerialize?.(context);
  const bytes = serde.serialize(heartbeat, context);
  assert.ok(bytes !== null);
  assert.equal(bytes[0], 0);
  assert.deepEqual({ ...serde.deserialize(bytes, context) }, heartbeat);
  const big = { ...heartbeat, sessionId: 'x'.repeat(200_000) };
  const bigBytes = serde.serialize(big, context);
  assert.deepEqual({ ...serde.deserialize(bigBytes, context) }, big);
});

test('configured with another catalog, a serde writes and reads by the ids of that catalog', async () => {
  const serde = avroSerde(watchHeartbeatSchema);
  const first = new InMemorySchemaCatalog();
  serde.configure?.({ schemas: first });
  await serde.prepareSerialize?.(context);
  serde.serialize(heartbeat, context);
  // The second catalog gives the schema another id (an unrelated one was registered first).
  const second = new InMemorySchemaCatalog();
  await second.register('other-value', JSON.stringify({ type: 'string' }));
  serde.configure?.({ schemas: second });
  await serde.prepareSerialize?.(context);
  const bytes = serde.serialize(heartbeat, context);
  assert.ok(bytes !== null);
  assert.equal(Buffer.from(bytes).readInt32BE(1), 2);
  await serde.prepareDeserialize?.([bytes], context);
  assert.deepEqual({ ...serde.deserialize(bytes, context) }, heartbeat);
});

test('subject naming strategies name the subject the schema is registered under', async () => {
  const cases = [
    ['topicName', 'heartbeats-value'],
    ['recordName', 'reelstream.events.WatchHeartbeat'],
    ['topicRecordName', 'heartbeats-reelstream.events.WatchHeartbeat'],
  ] as const;
  for (const [strategy, subject] of cases) {
    const schemas = new InMemorySchemaCatalog();
    const serde = avroSerde(watchHeartbeatSchema, { subjectNameStrategy: strategy });
    serde.configure?.({ schemas });
    await serde.prepareSerialize?.(context);
    assert.deepEqual(schemas.subjectNames(), [subject], strategy);
  }
});

test('bad payloads raise deserialization errors that say what is wrong', async () => {
  const schemas = new InMemorySchemaCatalog();
  const serde = avroSerde(watchHeartbeatSchema);
  serde.configure?.({ schemas });
  await serde.prepareSerialize?.(context);
  const good = Buffer.from(serde.serialize(heartbeat, context) ?? []);
  const unknownId = Buffer.from(good);
  unknownId.writeInt32BE(4242, 1);
  await serde.prepareDeserialize?.([unknownId], context);
  const cases: [Uint8Array | null, RegExp, abstract new (...args: never[]) => Error][] = [
    [null, /null payload/, DeserializationError],
    [Buffer.from('plain text'), /not Confluent wire format/, DeserializationError],
    [good.subarray(0, good.length - 3), /truncated|malformed/, DeserializationError],
    [Buffer.concat([good, Buffer.from([1, 2])]), /2 trailing bytes/, DeserializationError],
    [unknownId, /schema id 4242 is not in the registry/, UnknownSchemaError],
  ];
  for (const [bytes, message, errorClass] of cases) {
    assert.throws(
      () => serde.deserialize(bytes, context),
      (error: unknown) => {
        assert.ok(error instanceof errorClass, String(error));
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test('using a serde the runtime has not configured is a clear programming error', () => {
  const serde = avroSerde(watchHeartbeatSchema);
  assert.throws(() => serde.serialize(heartbeat, context), /was not prepared/);
});

const storeContext = { topic: 'store', isKey: false };

test('round trip in plain Avro binary: no header, no registry, smaller than JSON', () => {
  const serde = avroBinarySerde(watchHeartbeatSchema);
  const bytes = serde.serialize(heartbeat, storeContext);
  assert.ok(bytes !== null);
  assert.ok(bytes.length < JSON.stringify(heartbeat).length / 2, `${bytes.length} bytes`);
  assert.deepEqual({ ...serde.deserialize(bytes, storeContext) }, heartbeat);
  // A view into a larger buffer reads only its own bytes.
  const padded = Buffer.concat([Buffer.from([9, 9]), bytes, Buffer.from([9])]);
  const view = padded.subarray(2, 2 + bytes.length);
  assert.deepEqual({ ...serde.deserialize(view, storeContext) }, heartbeat);
});

test('bytes that are not the schema, and null, are DeserializationErrors naming the schema', () => {
  const serde = avroBinarySerde(watchHeartbeatSchema);
  assert.throws(
    () => serde.deserialize(Buffer.from([0xff, 0xff, 0xff]), storeContext),
    (error: unknown) =>
      error instanceof DeserializationError && error.message.includes(watchHeartbeatSchema.name),
  );
  assert.throws(() => serde.deserialize(null, storeContext), DeserializationError);
});

test('plain Avro binary encodes values larger than its buffer, and small ones after them', () => {
  const serde = avroBinarySerde(watchHeartbeatSchema);
  // 100 KiB of id: past the 16 KiB the serde starts with, so the buffer has to grow.
  const large = { ...heartbeat, sessionId: 's'.repeat(100 * 1024) };
  for (const value of [heartbeat, large, heartbeat, large]) {
    const bytes = serde.serialize(value, storeContext);
    assert.ok(bytes !== null);
    assert.deepEqual({ ...serde.deserialize(bytes, storeContext) }, value);
  }
});
