import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { AvroDeserializer, AvroSerializer, SerdeType } from '@confluentinc/schemaregistry';

import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { connection, uniqueName } from '../support/integration.js';

const schemaText = readFileSync(
  join(import.meta.dirname, '..', '..', 'schemas', 'watchHeartbeat.avsc'),
  'utf8',
);

test('Avro: a record registered in the real registry round-trips in Confluent wire format', async () => {
  const registry = createRegistryClient(connection.registry);
  const topic = uniqueName('avro');
  const subject = `${topic}-value`;
  const schemaId = await registry.register(subject, { schemaType: 'AVRO', schema: schemaText });
  assert.ok(Number.isInteger(schemaId) && schemaId >= 0, `schema id ${schemaId}`);
  // Looked up by name, not found in the subject list: Apicurio's list of subjects is capped, and
  // with the subjects earlier tests registered this one was sometimes past the cap.
  assert.equal((await registry.getLatestSchemaMetadata(subject)).id, schemaId, 'subject is known');

  const serializer = new AvroSerializer(registry, SerdeType.VALUE, { useSchemaId: schemaId });
  const record = {
    userId: 'user-42',
    videoId: 'video-7',
    sessionId: 'session-1',
    watchedMs: 30_000,
    // Timestamps are epoch milliseconds (numbers) throughout reelstream, as Kafka's own are.
    eventTime: Date.parse('2026-11-24T10:00:00.000Z'),
  };
  const bytes = await serializer.serialize(topic, record);
  assert.equal(bytes[0], 0, 'magic byte');
  assert.equal(bytes.readInt32BE(1), schemaId, 'schema id after the magic byte');

  // A fresh client, so the reader really fetches the schema by id from the registry.
  const deserializer = new AvroDeserializer(
    createRegistryClient(connection.registry),
    SerdeType.VALUE,
    {},
  );
  const decoded: unknown = await deserializer.deserialize(topic, bytes);
  // avsc decodes into an instance of a generated WatchHeartbeat class; compare the fields.
  assert.deepEqual({ ...(decoded as object) }, record);
});
