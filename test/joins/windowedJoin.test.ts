import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Pipeline, stringSerde } from '../../operators/index.js';
import { expectJoinTable, text } from './joinTable.js';

// Windowed stream–stream joins. Rows: in [topic, key, value, timestamp]; out [key, value,
// timestamp]. `left` is this stream, `right` the other; the joiner writes `left+right`
// whichever arrived first, and each pair is emitted once, at the later of its timestamps.

function windowedPipeline(windows: {
  beforeMs: number;
  afterMs: number;
  graceMs?: number;
}): Pipeline {
  const pipeline = new Pipeline();
  const right = pipeline.source('right', text);
  pipeline
    .source('left', text)
    .joinWindowed(right, (l, r) => `${l}+${r}`, {
      name: 'pairs',
      ...windows,
      serdes: { key: stringSerde, value: stringSerde, otherValue: stringSerde },
    })
    .to('out', text);
  return pipeline;
}

test('a record joins the other side’s records of its key within [t - before, t + after]', async () => {
  await expectJoinTable({
    pipeline: windowedPipeline({ beforeMs: 10, afterMs: 10, graceMs: 100 }),
    steps: [
      { in: ['left', 'k', 'a', 100], out: [] },
      { in: ['right', 'k', 'x', 105], out: [['k', 'a+x', 105]] },
      { in: ['right', 'k', 'y', 110], out: [['k', 'a+y', 110]] }, // bounds are inclusive
      { in: ['right', 'k', 'z', 111], out: [] }, // 11 ms after a
      { in: ['right', 'j', 'w', 100], out: [] }, // another key
      // A second left record joins every right record in its window, oldest first.
      {
        in: ['left', 'k', 'b', 108],
        out: [
          ['k', 'b+x', 108],
          ['k', 'b+y', 110],
          ['k', 'b+z', 111],
        ],
      },
      { in: ['left', 'k', 'c', 89], out: [] }, // 11 ms before x
      { in: ['left', 'k', 'd', 90], out: [] }, // x is 15 ms later: no; nothing in [80, 100]
      {
        in: ['right', 'k', 'v', 95],
        // In the time order of the matches: c (89), d (90), a (100).
        out: [
          ['k', 'c+v', 95],
          ['k', 'd+v', 95],
          ['k', 'a+v', 100],
        ],
      },
    ],
  });
});

test('out-of-order records join as long as they are within grace', async () => {
  await expectJoinTable({
    pipeline: windowedPipeline({ beforeMs: 5, afterMs: 5, graceMs: 20 }),
    steps: [
      { in: ['right', 'k', 'x', 200], out: [] },
      { in: ['left', 'k', 'a', 300], out: [] }, // stream time 300
      // Its window [185, 205] ended 95 ms ago: more than the 20 ms grace.
      { in: ['left', 'k', 'late', 195], out: [] },
      // Window [275, 285] ended 15 ms ago: within grace, joins, although older than a.
      { in: ['left', 'k', 'b', 280], out: [] },
      { in: ['right', 'k', 'y', 283], out: [['k', 'b+y', 283]] },
      { in: ['right', 'k', 'z', 297], out: [['k', 'a+z', 300]] },
      { in: ['right', 'k', 'old', 270], out: [] }, // window ended 25 ms ago: late
    ],
    counters: { lateRecords: 2 },
  });
});

test('asymmetric windows mirror for the other side', async () => {
  // Right records join a left record at t when they are in [t, t + 10]: not before it.
  await expectJoinTable({
    pipeline: windowedPipeline({ beforeMs: 0, afterMs: 10, graceMs: 50 }),
    steps: [
      { in: ['right', 'k', 'early', 95], out: [] },
      { in: ['left', 'k', 'a', 100], out: [] }, // early is 5 ms before a
      { in: ['right', 'k', 'x', 100], out: [['k', 'a+x', 100]] },
      { in: ['right', 'k', 'y', 110], out: [['k', 'a+y', 110]] },
      { in: ['left', 'k', 'b', 96], out: [['k', 'b+x', 100]] }, // [96, 106]: x, not early or y
    ],
  });
});

test('equal keys and timestamps: every pair, in arrival order', async () => {
  await expectJoinTable({
    pipeline: windowedPipeline({ beforeMs: 0, afterMs: 0 }),
    steps: [
      { in: ['left', 'k', 'a', 50], out: [] },
      { in: ['left', 'k', 'b', 50], out: [] },
      {
        in: ['right', 'k', 'x', 50],
        out: [
          ['k', 'a+x', 50],
          ['k', 'b+x', 50],
        ],
      },
      {
        in: ['right', 'k', 'y', 50],
        out: [
          ['k', 'a+y', 50],
          ['k', 'b+y', 50],
        ],
      },
      {
        in: ['left', 'k', 'c', 50],
        out: [
          ['k', 'c+x', 50],
          ['k', 'c+y', 50],
        ],
      },
    ],
  });
});

test('buffered records expire once no record within grace can join them', async () => {
  // Retention: before + after + grace = 30 ms; expiry scans every 15 ms of stream time.
  await expectJoinTable({
    pipeline: windowedPipeline({ beforeMs: 10, afterMs: 10, graceMs: 10 }),
    steps: [
      { in: ['left', 'k', 'a', 100], out: [] },
      { in: ['right', 'j', 'x', 100], out: [] },
      { in: ['left', 'j', 'b', 125], out: [] }, // x is 25 ms old: out of b's window
      { in: ['right', 'k', 'y', 140], out: [] }, // expires a and x (older than 140 - 30)
      { in: ['left', 'k', 'c', 131], out: [['k', 'c+y', 140]] },
    ],
    counters: { expiredJoinRecords: 2, lateRecords: 0 },
  });
});

test('the join is one sub-topology: a node per side over shared buffers, merged', () => {
  const described = windowedPipeline({ beforeMs: 1, afterMs: 2 }).describe('app');
  assert.doesNotMatch(described, /Sub-topology 1/);
  assert.match(
    described,
    /Processor: pairs-this \(join window this \[-1, \+2\] grace 0; stores: \[pairs-this-buffer, pairs-other-buffer\]\)/,
  );
  assert.match(
    described,
    /Processor: pairs-other \(join window other \[-2, \+1\] grace 0; stores: \[pairs-this-buffer, pairs-other-buffer\]\)/,
  );
  assert.match(
    described,
    /Processor: pairs \(join merge\)\n {4}--> to-\d+\n {4}<-- pairs-this, pairs-other/,
  );
});

test('window bounds must be non-negative integers, and both streams keyed', () => {
  const pipeline = new Pipeline();
  const right = pipeline.source('right', text);
  const left = pipeline.source('left', text);
  const serdes = { key: stringSerde, value: stringSerde, otherValue: stringSerde };
  assert.throws(
    () =>
      left.joinWindowed(right, (l, r) => l + r, { name: 'j', beforeMs: -1, afterMs: 0, serdes }),
    /beforeMs must be a non-negative integer/,
  );
  assert.throws(
    () =>
      left.joinWindowed(
        right.selectKey((r) => r.value),
        (l, r) => l + r,
        { name: 'j2', beforeMs: 1, afterMs: 1, serdes },
      ),
    /other stream's key changed/,
  );
});
