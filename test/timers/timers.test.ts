import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  bytesSerde,
  deadLetterHeaders,
  float64Serde,
  keyValueStore,
  logAndFailPolicy,
  nullable,
  Pipeline,
  StreamRecord,
  stringSerde,
  TestDriver,
  type Operator,
  type Timer,
} from '../../operators/index.js';

const text = { key: stringSerde, value: stringSerde };

/** Forwards `<kind>:<key>@<timestamp>` for every timer that fires, stamped with its time. */
function fired(timer: Timer<string>): StreamRecord<string, string> {
  const kind = timer.kind === 'eventTime' ? 'event' : 'wall';
  return StreamRecord.of({
    key: timer.key,
    value: `${kind}:${timer.key}@${timer.timestamp}`,
    timestamp: timer.timestamp,
  });
}

/** A pipeline whose one `process` step has timers; `operator` decides what to schedule. */
async function driverFor(
  operator: () => Operator<string, string, string, string>,
  options: { wallClock?: number; partitions?: number } = {},
): Promise<TestDriver> {
  const pipeline = new Pipeline();
  pipeline
    .source('in', text)
    .process(operator, { name: 'timed', timers: { key: stringSerde } })
    .to('out', text);
  return TestDriver.start(pipeline, options);
}

test('event-time timers fire once stream time reaches them, in time order then key order', async () => {
  const driver = await driverFor(() => ({
    process(record, ctx) {
      // value: the delays to schedule, e.g. "10,30"
      for (const delay of record.value.split(',')) {
        ctx.timers.scheduleEventTime(record.key, record.timestamp + Number(delay));
      }
    },
    onTimer(timer, ctx) {
      assert.ok(ctx.streamTime() >= timer.timestamp, 'fires only once stream time reached it');
      ctx.forward(fired(timer));
    },
  }));
  const input = driver.input('in', text);
  const output = driver.output('out', text);
  await input.pipe('b', '10,30', { timestamp: 100 }); // timers at 110 and 130
  await input.pipe('a', '10', { timestamp: 100 }); // timer at 110
  assert.deepEqual(await output.readValues(), [], 'stream time is 100: nothing due');
  await input.pipe('c', '1000', { timestamp: 109 });
  assert.deepEqual(await output.readValues(), [], 'stream time 109: still nothing');
  await input.pipe('c', '1000', { timestamp: 110 });
  assert.deepEqual(
    await output.readValues(),
    ['event:a@110', 'event:b@110'],
    'both timers at 110 fire, ordered by key bytes',
  );
  // A record with an older timestamp does not move stream time back, nor fire anything.
  await input.pipe('c', '1000', { timestamp: 50 });
  assert.deepEqual(await output.readValues(), []);
  // A jump past several timers fires them all after that record, in time order.
  await input.pipeMany([
    { key: 'd', value: '5', timestamp: 120 }, // timer at 125
    { key: 'e', value: '1', timestamp: 200 }, // timer at 201
  ]);
  const out = await output.readRecords();
  assert.deepEqual(
    out.map((r) => [r.value, r.timestamp]),
    [
      ['event:d@125', 125],
      ['event:b@130', 130],
    ],
  );
  await driver.close();
});

test('timers fire after the record that advanced stream time, and once per (key, time)', async () => {
  const driver = await driverFor(() => ({
    process(record, ctx) {
      ctx.forward(record.withValue(`record:${record.key}@${record.timestamp}`));
      // Scheduled twice: one timer.
      ctx.timers.scheduleEventTime(record.key, record.timestamp);
      ctx.timers.scheduleEventTime(record.key, record.timestamp);
    },
    onTimer(timer, ctx) {
      ctx.forward(fired(timer));
    },
  }));
  await driver.input('in', text).pipeMany([
    { key: 'a', value: '', timestamp: 5 },
    { key: 'b', value: '', timestamp: 7 },
  ]);
  assert.deepEqual(await driver.output('out', text).readValues(), [
    'record:a@5',
    'event:a@5',
    'record:b@7',
    'event:b@7',
  ]);
  await driver.close();
});

test('cancelled timers do not fire, also when an earlier timer of the same round cancels them', async () => {
  const driver = await driverFor(() => ({
    process(record, ctx) {
      const [action, at] = record.value.split(':');
      if (action === 'schedule') {
        ctx.timers.scheduleEventTime(record.key, Number(at));
      } else if (action === 'cancel') {
        ctx.timers.cancelEventTime(record.key, Number(at));
      }
    },
    onTimer(timer, ctx) {
      ctx.forward(fired(timer));
      if (timer.key === 'a') {
        ctx.timers.cancelEventTime('b', 20); // due in this same round
      }
    },
  }));
  const input = driver.input('in', text);
  await input.pipeMany([
    { key: 'x', value: 'schedule:15', timestamp: 0 },
    { key: 'x', value: 'cancel:15', timestamp: 0 },
    { key: 'a', value: 'schedule:10', timestamp: 0 },
    { key: 'b', value: 'schedule:20', timestamp: 0 },
    { key: 'c', value: 'schedule:30', timestamp: 0 },
  ]);
  await input.pipe('tick', 'nothing', { timestamp: 100 });
  assert.deepEqual(await driver.output('out', text).readValues(), ['event:a@10', 'event:c@30']);
  await driver.close();
});

test('a timer scheduled from onTimer earlier than the next due one fires first', async () => {
  const driver = await driverFor(() => ({
    process(record, ctx) {
      ctx.timers.scheduleEventTime(record.key, Number(record.value));
    },
    onTimer(timer, ctx) {
      ctx.forward(fired(timer));
      if (timer.key === 'a') {
        ctx.timers.scheduleEventTime('z', 15); // before b@20, which was already read as due
      }
    },
  }));
  const input = driver.input('in', text);
  await input.pipeMany([
    { key: 'a', value: '10', timestamp: 0 },
    { key: 'b', value: '20', timestamp: 0 },
  ]);
  await input.pipe('tick', '1000', { timestamp: 100 });
  assert.deepEqual(await driver.output('out', text).readValues(), [
    'event:a@10',
    'event:z@15',
    'event:b@20',
  ]);
  await driver.close();
});

test('processing-time timers fire when the wall clock is advanced, periodic ones once per period', async () => {
  const driver = await driverFor(
    () => ({
      process(record, ctx) {
        ctx.timers.scheduleProcessingTime(record.key, ctx.wallClockTime() + 1_000);
      },
      onTimer(timer, ctx) {
        ctx.forward(fired(timer).withValue(`${fired(timer).value} now=${ctx.wallClockTime()}`));
        if (timer.key === 'periodic') {
          ctx.timers.scheduleProcessingTime(timer.key, timer.timestamp + 1_000);
        }
      },
    }),
    { wallClock: 5_000 },
  );
  const input = driver.input('in', text);
  const output = driver.output('out', text);
  await input.pipe('periodic', '', { timestamp: 1 });
  await driver.advanceWallClock(500);
  await input.pipe('once', '', { timestamp: 1_000_000 }); // event time does not fire wall timers
  assert.deepEqual(await output.readValues(), []);
  await driver.advanceWallClock(500); // 6000: periodic@6000 is due
  assert.deepEqual(await output.readValues(), ['wall:periodic@6000 now=6000']);
  await driver.advanceWallClock(2_200); // 8200: once@6500, periodic@7000 and @8000
  assert.deepEqual(await output.readValues(), [
    'wall:once@6500 now=8200',
    'wall:periodic@7000 now=8200',
    'wall:periodic@8000 now=8200',
  ]);
  await driver.advanceWallClock(100);
  assert.deepEqual(await output.readValues(), []);
  await driver.close();
});

test('records forwarded by onTimer flow through downstream operators and repartitions', async () => {
  const pipeline = new Pipeline();
  const lastSeen = keyValueStore({ name: 'last-seen', key: stringSerde, value: float64Serde });
  const ends = pipeline
    .source('clicks', text)
    .process<string, string>(
      () => ({
        process(record, ctx) {
          // Session gap 10: each click pushes the user's session end out.
          const store = ctx.keyValueStore(lastSeen);
          const previous = store.peek(record.key)?.value;
          if (previous !== undefined) {
            ctx.timers.cancelEventTime(record.key, previous + 10);
          }
          store.put(record.key, record.timestamp);
          ctx.timers.scheduleEventTime(record.key, record.timestamp + 10);
        },
        async onTimer(timer, ctx) {
          const store = ctx.keyValueStore(lastSeen);
          const last = await store.get(timer.key);
          store.delete(timer.key);
          ctx.forward(
            StreamRecord.of({
              key: timer.key,
              value: `session of ${timer.key} ended after ${last ?? '?'}`,
              timestamp: timer.timestamp,
            }),
          );
        },
      }),
      { name: 'sessions', stores: [lastSeen], timers: { key: stringSerde } },
    )
    .mapValues((v) => v.toUpperCase());
  ends.to('session-ends', text);
  ends
    .selectKey(() => 'all')
    .groupByKey({ name: 'ended', serdes: text })
    .count({ name: 'ended-count' })
    .toStream()
    .mapValues((n) => String(n))
    .to('ended', text);
  const driver = await TestDriver.start(pipeline);
  const clicks = driver.input('clicks', text);
  await clicks.pipeMany([
    { key: 'ann', value: '', timestamp: 0 },
    { key: 'bob', value: '', timestamp: 5 },
    { key: 'ann', value: '', timestamp: 8 }, // ann's session now ends at 18, not 10
  ]);
  assert.deepEqual(await driver.output('ended', text).readValues(), []);
  await clicks.pipe('cid', '', { timestamp: 40 });
  assert.deepEqual(await driver.output('session-ends', text).readValues(), [
    'SESSION OF BOB ENDED AFTER 5',
    'SESSION OF ANN ENDED AFTER 8',
  ]);
  assert.deepEqual(await driver.output('ended', text).readValues(), ['1', '2']);
  const changelog = await driver
    .output('test-sessions-timers-changelog', { key: bytesSerde, value: nullable(bytesSerde) })
    .readRecords();
  assert.ok(changelog.length > 0, 'timers are change-logged like any store');
  await driver.close();
});

test('an onTimer that throws goes to the failure policy as a stand-in record of the timer', async () => {
  const driver = await driverFor(() => ({
    process(record, ctx) {
      ctx.timers.scheduleEventTime(record.key, record.timestamp + 1);
    },
    onTimer(timer) {
      throw new Error(`cannot handle ${timer.key}`);
    },
  }));
  await driver.input('in', text).pipeMany([
    { key: 'k', value: '', timestamp: 1 },
    { key: 'k', value: '', timestamp: 5 },
  ]);
  const letters = await driver
    .output(driver.deadLetterTopic, { key: stringSerde, value: nullable(bytesSerde) })
    .readRecords();
  assert.equal(letters.length, 1);
  const headers = letters[0]?.headers ?? {};
  assert.equal(letters[0]?.key, 'k');
  assert.equal(headers[deadLetterHeaders.topic], 'timed-timers');
  assert.equal(headers[deadLetterHeaders.stage], 'processing');
  assert.equal(headers['reelstream.timer'], 'eventTime');
  assert.match(String(headers[deadLetterHeaders.errorMessage]), /cannot handle k/);
  await driver.close();
});

test('an operator that schedules without declaring timers is told how to declare them', async () => {
  const pipeline = new Pipeline();
  pipeline
    .source('in', text)
    .process<string, string>(
      () => ({
        process(record, ctx) {
          ctx.timers.scheduleEventTime(record.key, 1);
        },
      }),
      { name: 'untimed' },
    )
    .to('out', text);
  const driver = await TestDriver.start(pipeline, { policy: logAndFailPolicy });
  await assert.rejects(driver.input('in', text).pipe('k', 'v'), /declares none; pass `timers/);
  await driver.close();
});
