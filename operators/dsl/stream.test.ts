import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../schemas/generated/watchHeartbeat.js';
import {
  avroSerde,
  bytesSerde,
  deadLetterHeaders,
  jsonSerde,
  nullable,
  Pipeline,
  StreamRecord,
  stringSerde,
  TestDriver,
} from '../index.js';

const text = { key: stringSerde, value: stringSerde };

test('stateless operators chain with their types, in order', async () => {
  const pipeline = new Pipeline();
  const seen: string[] = [];
  pipeline
    .source('words', text)
    .peek((r) => seen.push(r.value))
    .filter((word) => word.length > 2)
    .mapValues((word) => ({ word, length: word.length }))
    .flatMap((r) => [r, r.withKey(`${r.key}-copy`)])
    .selectKey((r) => r.value.word.toUpperCase())
    .map((r) =>
      StreamRecord.of({
        key: r.key,
        value: `${r.value.word}:${r.value.length}`,
        timestamp: r.timestamp + 1,
      }),
    )
    .to('out', text);
  const driver = await TestDriver.start(pipeline);
  await driver.input('words', text).pipeMany([
    { key: 'a', value: 'hi', timestamp: 10 },
    { key: 'b', value: 'hello', timestamp: 20 },
  ]);
  assert.deepEqual(seen, ['hi', 'hello']);
  const out = await driver.output('out', text).readRecords();
  assert.deepEqual(
    out.map((r) => [r.key, r.value, r.timestamp]),
    [
      ['HELLO', 'hello:5', 21],
      ['HELLO', 'hello:5', 21],
    ],
  );
});

test('branch sends each record to the first matching branch; merge brings streams together', async () => {
  const pipeline = new Pipeline();
  const [short, long] = pipeline
    .source('words', text)
    .branch([(w) => w.length <= 3, (w) => w.length <= 6]);
  assert.ok(short !== undefined && long !== undefined);
  short.to('short', text);
  long.to('long', text);
  short
    .mapValues((w) => w.toUpperCase())
    .merge(long)
    .to('merged', text);
  const driver = await TestDriver.start(pipeline);
  await driver
    .input('words', text)
    .pipeMany(['ox', 'horse', 'hippopotamus', 'cat'].map((value) => ({ key: value, value })));
  assert.deepEqual(await driver.output('short', text).readValues(), ['ox', 'cat']);
  assert.deepEqual(await driver.output('long', text).readValues(), ['horse']);
  assert.deepEqual(await driver.output('merged', text).readValues(), ['OX', 'horse', 'CAT']);
});

test('groupByKey after selectKey repartitions: every record of a key reaches one task', async () => {
  const pipeline = new Pipeline();
  const tasksByKey = new Map<string, Set<string>>();
  pipeline
    .source('events', text)
    .selectKey((r) => r.value)
    .groupByKey({ name: 'by-value', serdes: text })
    .stream()
    .process<string, string>(
      () => ({
        process(record, ctx) {
          const tasks = tasksByKey.get(record.key) ?? new Set();
          tasks.add(ctx.taskId);
          tasksByKey.set(record.key, tasks);
          ctx.forward(record);
        },
      }),
      { name: 'record-task', changesKey: false },
    )
    .to('grouped', text);
  const driver = await TestDriver.start(pipeline, { applicationId: 'app', partitions: 4 });
  assert.match(pipeline.describe('app'), /app-by-value-repartition/);
  const values = ['red', 'green', 'blue'];
  await driver
    .input('events', text)
    .pipeMany(Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: values[i % 3] ?? '' })));
  const out = await driver.output('grouped', text).readRecords();
  assert.equal(out.length, 60);
  for (const [key, tasks] of tasksByKey) {
    assert.equal(tasks.size, 1, `${key} was processed by ${[...tasks].join(', ')}`);
    assert.match([...tasks][0] ?? '', /^1_/, 'the downstream sub-topology processes it');
  }
});

test('a malformed record and a throwing operator go to the dead-letter topic with their origin', async () => {
  const pipeline = new Pipeline();
  const avro = avroSerde(watchHeartbeatSchema);
  pipeline
    .source('heartbeats', { key: stringSerde, value: avro })
    .mapValues((hb) => {
      if (hb.watchedMs < 0) {
        throw new RangeError(`negative watch time ${hb.watchedMs}`);
      }
      return hb.watchedMs;
    })
    .to('watched', { key: stringSerde, value: jsonSerde<number>() });
  const driver = await TestDriver.start(pipeline, { applicationId: 'job' });
  const input = driver.input('heartbeats', { key: stringSerde, value: avro });
  const heartbeat = (watchedMs: number): WatchHeartbeat => ({
    userId: 'u1',
    videoId: 'v1',
    sessionId: 's1',
    watchedMs,
    eventTime: 1_000,
  });
  await input.pipe('u1', heartbeat(10_000));
  await input.pipeRaw({
    key: new TextEncoder().encode('u1'),
    value: Uint8Array.from([0, 0, 0, 0, 99, 1]),
  });
  await input.pipeRaw({ key: new TextEncoder().encode('u1'), value: Uint8Array.from([7, 7, 7]) });
  await input.pipe('u1', heartbeat(-5));
  await input.pipe('u1', heartbeat(20_000));

  assert.deepEqual(
    await driver.output('watched', { key: stringSerde, value: jsonSerde<number>() }).readValues(),
    [10_000, 20_000],
  );
  const dlq = await driver
    .output('job.dlq', { key: nullable(stringSerde), value: nullable(bytesSerde) })
    .readRecords();
  assert.deepEqual(
    dlq.map((r) => [
      r.headers[deadLetterHeaders.topic],
      r.headers[deadLetterHeaders.offset],
      r.headers[deadLetterHeaders.stage],
      r.headers[deadLetterHeaders.errorClass],
    ]),
    [
      ['heartbeats', '1', 'deserialization', 'UnknownSchemaError'],
      ['heartbeats', '2', 'deserialization', 'DeserializationError'],
      ['heartbeats', '3', 'processing', 'RangeError'],
    ],
  );
  assert.deepEqual([...(dlq[1]?.value ?? [])], [7, 7, 7], 'the original bytes are kept');
});

test('a latestPerKey sink sends only the last record per key of a commit; others send all', async () => {
  const pipeline = new Pipeline();
  const updates = pipeline
    .source('words', text)
    .flatMap((r) => [r.withValue(`${r.value}-1`), r.withValue(`${r.value}-2`)]);
  updates.to('table', text, { latestPerKey: true });
  updates.to('stream', text);
  const driver = await TestDriver.start(pipeline);
  await driver.input('words', text).pipe('a', 'x');
  await driver.input('words', text).pipe('b', 'y');
  const table = await driver.output('table', text).readKeyValues();
  const stream = await driver.output('stream', text).readKeyValues();
  assert.deepEqual(table, [
    ['a', 'x-2'],
    ['b', 'y-2'],
  ]);
  assert.deepEqual(stream, [
    ['a', 'x-1'],
    ['a', 'x-2'],
    ['b', 'y-1'],
    ['b', 'y-2'],
  ]);
  await driver.close();
});

test('a repartition with a combiner sends one record per key and commit, combined in order', async () => {
  const build = (combine: boolean): Pipeline => {
    const pipeline = new Pipeline();
    const byColour = pipeline
      .source('events', text)
      .selectKey((r) => r.value.split(':')[0] ?? '')
      .groupByKey({
        name: 'by-colour',
        serdes: text,
        ...(combine ? { combine: (earlier: string, later: string) => `${earlier},${later}` } : {}),
      });
    byColour.stream().to('sent', text);
    byColour
      .aggregate({
        name: 'joined',
        initializer: () => '',
        adder: (all, value) => (all === '' ? value : `${all},${value}`),
        serde: stringSerde,
      })
      .toStream()
      .to('joined', text);
    return pipeline;
  };
  const batches = [
    ['red:1', 'blue:1', 'red:2', 'red:3', 'blue:2'],
    ['red:4', 'green:1'],
  ];
  const run = async (combine: boolean) => {
    const driver = await TestDriver.start(build(combine), { partitions: 2 });
    for (const batch of batches) {
      await driver
        .input('events', text)
        .pipeMany(batch.map((value) => ({ key: 'one-task', value })));
    }
    const sent = await driver.output('sent', text).readKeyValues();
    const joined = new Map(await driver.output('joined', text).readKeyValues());
    await driver.close();
    return { sent, joined };
  };
  const combined = await run(true);
  const oneByOne = await run(false);
  assert.deepEqual(
    [...combined.sent].sort(),
    [
      ['blue', 'blue:1,blue:2'],
      ['green', 'green:1'],
      ['red', 'red:1,red:2,red:3'],
      ['red', 'red:4'],
    ],
    'one record per key and commit, its values in the order they came',
  );
  assert.equal(oneByOne.sent.length, 7, 'without a combiner every record is sent');
  assert.deepEqual(combined.joined, new Map(oneByOne.joined), 'the aggregate ends the same');
  assert.match(build(true).describe('app'), /by-colour-repartition-combine \(combine\)/);
});

test('a combiner that throws sends its record to the dead-letter topic; the others go on', async () => {
  const pipeline = new Pipeline();
  pipeline
    .source('events', text)
    .selectKey((r) => r.value)
    .groupByKey({
      name: 'by-value',
      serdes: text,
      combine: (earlier, later) => {
        if (later === 'bad') {
          throw new Error('cannot combine bad');
        }
        return `${earlier}+${later}`;
      },
    })
    .stream()
    .to('sent', text);
  const driver = await TestDriver.start(pipeline, { applicationId: 'job' });
  await driver.input('events', text).pipeMany([
    { key: 'a', value: 'bad' },
    { key: 'b', value: 'bad' },
    { key: 'c', value: 'ok' },
    { key: 'd', value: 'ok' },
  ]);
  assert.deepEqual((await driver.output('sent', text).readKeyValues()).sort(), [
    ['bad', 'bad'],
    ['ok', 'ok+ok'],
  ]);
  const letters = await driver
    .output('job.dlq', { key: nullable(stringSerde), value: nullable(bytesSerde) })
    .readRecords();
  assert.deepEqual(
    letters.map((r) => [
      r.headers[deadLetterHeaders.topic],
      r.headers[deadLetterHeaders.offset],
      r.headers[deadLetterHeaders.errorMessage],
    ]),
    [['events', '1', 'cannot combine bad']],
  );
  await driver.close();
});

test('an operator fed by a source reads ahead: prefetch gets the batch before any record is processed', async () => {
  const pipeline = new Pipeline();
  const calls: string[] = [];
  pipeline
    .source('events', text)
    .process<string, string>(
      () => ({
        prefetch(records) {
          calls.push(`prefetch ${records.map((r) => r.value).join(',')}`);
          return Promise.reject(new Error('a failed read ahead is no failure'));
        },
        process(record, ctx) {
          calls.push(`process ${record.value}`);
          ctx.forward(record);
        },
      }),
      { name: 'reads-ahead', changesKey: false },
    )
    .to('out', text);
  const driver = await TestDriver.start(pipeline);
  await driver.input('events', text).pipeMany([
    { key: 'k', value: 'a' },
    { key: 'k', value: 'b' },
  ]);
  assert.deepEqual(calls, ['prefetch a,b', 'process a', 'process b']);
  assert.deepEqual(await driver.output('out', text).readValues(), ['a', 'b']);
  await driver.close();
});
