import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../../schemas/generated/watchHeartbeat.js';
import { DeserializationError } from '../serde.js';
import { avroBinarySerde } from './avroBinarySerde.js';

const heartbeat: WatchHeartbeat = {
  userId: 'u1',
  videoId: 'v1',
  sessionId: 's1',
  watchedMs: 12_345,
  eventTime: 1_795_500_000_000,
};
const context = { topic: 'store', isKey: false };

test('round trip in plain Avro binary: no header, no registry, smaller than JSON', () => {
  const serde = avroBinarySerde(watchHeartbeatSchema);
  const bytes = serde.serialize(heartbeat, context);
  assert.ok(bytes !== null);
  assert.ok(bytes.length < JSON.stringify(heartbeat).length / 2, `${bytes.length} bytes`);
  assert.deepEqual({ ...serde.deserialize(bytes, context) }, heartbeat);
  // A view into a larger buffer reads only its own bytes.
  const padded = Buffer.concat([Buffer.from([9, 9]), bytes, Buffer.from([9])]);
  const view = padded.subarray(2, 2 + bytes.length);
  assert.deepEqual({ ...serde.deserialize(view, context) }, heartbeat);
});

test('bytes that are not the schema, and null, are DeserializationErrors naming the schema', () => {
  const serde = avroBinarySerde(watchHeartbeatSchema);
  assert.throws(
    () => serde.deserialize(Buffer.from([0xff, 0xff, 0xff]), context),
    (error: unknown) =>
      error instanceof DeserializationError && error.message.includes(watchHeartbeatSchema.name),
  );
  assert.throws(() => serde.deserialize(null, context), DeserializationError);
});
