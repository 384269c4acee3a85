import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  deadLetterHeaders,
  float64Serde,
  hoppingWindows,
  nullable,
  Pipeline,
  sessionWindows,
  slidingWindows,
  stringSerde,
  TestDriver,
  tumblingWindows,
  windowedSerde,
  type Windows,
} from '../../operators/index.js';

// A record whose timestamp no window can hold (negative, fractional, NaN) is never dropped
// silently: it goes to the dead-letter topic with the reason, is counted in
// `invalidTimestampRecords`, and leaves stream time and every window alone. Before this, a
// record at -5 in a tumbling window fell in no window: no output, no late record, no count.

const text = { key: stringSerde, value: stringSerde };
const counts = { key: windowedSerde(stringSerde), value: float64Serde };

const windowKinds: readonly [string, Windows][] = [
  ['tumbling', tumblingWindows({ sizeMs: 10 })],
  ['hopping', hoppingWindows({ sizeMs: 10, advanceMs: 5 })],
  ['sliding', slidingWindows({ timeDifferenceMs: 10 })],
  ['session', sessionWindows({ inactivityGapMs: 10 })],
];

/** `in` → map that sets the timestamp from the value → windowed count on `out`. */
function pipelineFor(windows: Windows): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source('in', text)
    // The timestamp is the value: Kafka cannot carry a NaN or a fraction, a map step can.
    .map((r) => r.withTimestamp(Number(r.value)))
    .groupByKey({ name: 'g', serdes: text })
    .windowedBy(windows)
    .count({ name: 'counts' })
    .toStream()
    .mapValues((v) => v ?? -1) // session retractions: -1
    .to('out', counts);
  return pipeline;
}

for (const [kind, windows] of windowKinds) {
  for (const bad of ['-5', '2.5', 'NaN']) {
    test(`${kind} windows: a record at ${bad} is dead-lettered with the reason and counted`, async () => {
      const driver = await TestDriver.start(pipelineFor(windows));
      try {
        const input = driver.input('in', text);
        const out = driver.output('out', counts);
        await input.pipe('a', '3', { timestamp: 3 });
        assert.equal((await out.readValues()).length > 0, true);
        await input.pipe('a', bad, { timestamp: 4 });
        assert.deepEqual(await out.readValues(), [], 'it updates no window');
        const letters = driver.drain(driver.deadLetterTopic);
        assert.equal(letters.length, 1);
        const headers = letters[0]?.headers ?? {};
        assert.equal(String(headers[deadLetterHeaders.errorClass]), 'InvalidTimestampError');
        assert.match(
          String(headers[deadLetterHeaders.errorMessage]),
          /windowed aggregation counts: record timestamp .* is not a whole number of milliseconds >= 0/,
        );
        assert.equal(driver.counter('invalidTimestampRecords'), 1);
        // Stream time did not move: a record at 4 is still on time for the window of 3.
        await input.pipe('a', '4', { timestamp: 5 });
        const after = await out.readKeyValues();
        assert.equal(after.length > 0, true);
        assert.equal(
          after.some(([window]) => window.start <= 3 && window.end >= 4),
          true,
          'the next record joins the open window',
        );
      } finally {
        await driver.close();
      }
    });
  }
}

test('a windowed aggregation counts the records it skips for a null value', async () => {
  const tombstones = { key: stringSerde, value: nullable(stringSerde) };
  const pipeline = new Pipeline();
  pipeline
    .source('in', tombstones)
    .groupByKey({ name: 'g', serdes: tombstones })
    .windowedBy(tumblingWindows({ sizeMs: 10 }))
    .count({ name: 'counts' })
    .toStream()
    .mapValues((v) => v ?? -1) // session retractions: -1
    .to('out', counts);
  const driver = await TestDriver.start(pipeline);
  try {
    await driver.input('in', tombstones).pipe('a', null, { timestamp: 1 });
    assert.deepEqual(await driver.output('out', counts).readValues(), []);
    assert.equal(driver.counter('skippedRecords'), 1);
  } finally {
    await driver.close();
  }
});
