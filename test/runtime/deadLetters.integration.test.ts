import assert from 'node:assert/strict';
import { test } from 'node:test';

import avro from 'avsc';
import pino from 'pino';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../schemas/generated/watchHeartbeat.js';
import {
  avroSerde,
  deadLetterHeaders,
  Pipeline,
  StreamJob,
  stringSerde,
} from '../../operators/index.js';
import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';
import { connection, createTopics, uniqueName, waitFor } from '../support/integration.js';
import { client, readRaw, schemas } from '../support/records.js';

const total = 1_000;
const malformed = new Set(Array.from({ length: 10 }, (_, i) => 37 + i * 97));
const unknownSchema = new Set([150, 750]);
const incompatible = new Set([500]);

test('malformed, unknown-schema and incompatible records go to the DLQ with their origin; the rest is processed', async () => {
  const input = uniqueName('dlq-in');
  const output = uniqueName('dlq-out');
  await createTopics([input], { partitions: 2 });
  await createTopics([output]);
  const serdes = { key: stringSerde, value: avroSerde(watchHeartbeatSchema) };
  serdes.value.configure?.({ schemas });
  await serdes.value.prepareSerialize?.({ topic: input, isKey: false });

  // A schema with the same name whose fields cannot be read as WatchHeartbeat (no defaults).
  const foreignDefinition = {
    type: 'record',
    name: 'WatchHeartbeat',
    namespace: 'reelstream.events',
    fields: [{ name: 'userId', type: 'int' }],
  };
  const foreignId = await schemas.register(
    `${input}-foreign-value`,
    JSON.stringify(foreignDefinition),
  );
  const foreign = avro.Type.forSchema(foreignDefinition as avro.Schema);
  const wire = (id: number, body: Buffer): Buffer => {
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    return Buffer.concat([header, body]);
  };

  const records: OutgoingRecord[] = [];
  for (let i = 0; i < total; i++) {
    const key = `user-${i % 13}`;
    const heartbeat: WatchHeartbeat = {
      userId: key,
      videoId: `video-${i}`,
      sessionId: `s-${i}`,
      watchedMs: i,
      eventTime: i,
    };
    let value: Uint8Array | null = serdes.value.serialize(heartbeat, {
      topic: input,
      isKey: false,
    });
    if (malformed.has(i)) {
      value = i % 2 === 0 ? Buffer.from([0xde, 0xad, 0xbe, 0xef]) : Buffer.from([0, 0, 0, 0]);
    } else if (unknownSchema.has(i)) {
      value = wire(2_000_000_000 + i, Buffer.from(value ?? []).subarray(5));
    } else if (incompatible.has(i)) {
      value = wire(foreignId, foreign.toBuffer({ userId: i }));
    }
    records.push({
      topic: input,
      key: Buffer.from(key),
      value,
      timestamp: Date.now(),
      headers: { seq: String(i) },
    });
  }
  const producer = await client.producer({ idempotent: true });
  await producer.send(records);
  await producer.close();

  const pipeline = new Pipeline();
  pipeline
    .source(input, serdes)
    .mapValues((hb) => ({ ...hb, watchedMs: hb.watchedMs + 1 }))
    .to(output, serdes);
  const applicationId = uniqueName('dlq-job');
  const job = new StreamJob({
    pipeline,
    applicationId,
    connection,
    logger: pino({ level: 'error' }),
  });
  await job.start();
  try {
    const good = await readRaw(output, total - 13, { timeoutMs: 60_000 });
    const letters = await readRaw(job.deadLetterTopic, 13, { timeoutMs: 60_000 });
    await waitFor(() => job.stats().processed === total, 'all input to be processed');
    assert.equal(job.state, 'running', 'the job keeps running');
    assert.equal(good.length, total - 13);
    const expectedBad = [...malformed, ...unknownSchema, ...incompatible].sort((a, b) => a - b);
    const bad = letters
      .map((letter) => ({
        seq: Number(String(letter.headers['seq'])),
        topic: String(letter.headers[deadLetterHeaders.topic]),
        partition: Number(String(letter.headers[deadLetterHeaders.partition])),
        offset: String(letter.headers[deadLetterHeaders.offset]),
        stage: String(letter.headers[deadLetterHeaders.stage]),
        errorClass: String(letter.headers[deadLetterHeaders.errorClass]),
        message: String(letter.headers[deadLetterHeaders.errorMessage]),
        value: letter.value,
      }))
      .sort((a, b) => a.seq - b.seq);
    assert.deepEqual(
      bad.map((b) => b.seq),
      expectedBad,
      'exactly the 13 bad records',
    );
    for (const letter of bad) {
      assert.equal(letter.topic, input);
      assert.equal(letter.stage, 'deserialization');
      assert.ok(letter.message.length > 0);
      const original = records[letter.seq];
      assert.deepEqual(
        Buffer.from(letter.value ?? []),
        Buffer.from(original?.value ?? []),
        'original bytes kept',
      );
      const expectedClass = unknownSchema.has(letter.seq)
        ? 'UnknownSchemaError'
        : incompatible.has(letter.seq)
          ? 'IncompatibleSchemaError'
          : 'DeserializationError';
      assert.equal(letter.errorClass, expectedClass, `record ${letter.seq}: ${letter.message}`);
    }
    // The origin in the headers points at the bad record itself.
    const origins = await readRaw(input, total, { timeoutMs: 60_000 });
    for (const letter of bad) {
      const at = origins.find(
        (r) => r.partition === letter.partition && r.offset === letter.offset,
      );
      assert.equal(String(at?.headers['seq']), String(letter.seq));
    }
    const goodSeqs = new Set(good.map((r) => Number(String(r.headers['seq']))));
    assert.equal(goodSeqs.size, total - 13);
  } finally {
    await job.stop();
  }
});
