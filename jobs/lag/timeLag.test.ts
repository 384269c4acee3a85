import assert from 'node:assert/strict';
import { test } from 'node:test';

import { estimateTimeLag } from './timeLag.js';

const now = 1_000_000;

test('caught up (or only transaction markers left) is 0 s', () => {
  const base = { committedOffset: 10, history: [], nowMs: now };
  assert.deepEqual(estimateTimeLag({ ...base, lag: 0, nextRecord: undefined }), {
    seconds: 0,
    source: 'caught-up',
  });
  assert.deepEqual(estimateTimeLag({ ...base, lag: 1, nextRecord: 'nothing-to-read' }), {
    seconds: 0,
    source: 'caught-up',
  });
});

test('the timestamp of the record at the committed offset gives the age', () => {
  const lag = estimateTimeLag({
    committedOffset: 10,
    lag: 5,
    nextRecord: { offset: 10, timestampMs: now - 42_300 },
    history: [],
    nowMs: now,
  });
  assert.deepEqual(lag, { seconds: 42.3, source: 'record' });
});

test('a record from the future (clock skew) is 0 s, never negative', () => {
  const lag = estimateTimeLag({
    committedOffset: 10,
    lag: 5,
    nextRecord: { offset: 10, timestampMs: now + 5_000 },
    history: [],
    nowMs: now,
  });
  assert.equal(lag.seconds, 0);
});

test('without the record, interpolates over sampled log-end offsets', () => {
  // 10 records/s: log end 0 at t=0, 100 at t=10 s, 200 at t=20 s. Offset 150 was written at 15 s.
  const history = [
    { atMs: 0, logEndOffset: 0 },
    { atMs: 10_000, logEndOffset: 100 },
    { atMs: 20_000, logEndOffset: 200 },
  ];
  const lag = estimateTimeLag({
    committedOffset: 150,
    lag: 50,
    nextRecord: undefined,
    history,
    nowMs: 20_000,
  });
  assert.deepEqual(lag, { seconds: 5, source: 'interpolated' });
});

test('before the first sample, extrapolates with the average rate', () => {
  const history = [
    { atMs: 10_000, logEndOffset: 100 },
    { atMs: 20_000, logEndOffset: 200 },
  ];
  const lag = estimateTimeLag({
    committedOffset: 50,
    lag: 150,
    nextRecord: undefined,
    history,
    nowMs: 20_000,
  });
  assert.deepEqual(lag, { seconds: 15, source: 'extrapolated' });
});

test('one sample, or a log end that never moved: a finite lower bound', () => {
  for (const history of [
    [{ atMs: 5_000, logEndOffset: 100 }],
    [
      { atMs: 5_000, logEndOffset: 100 },
      { atMs: 9_000, logEndOffset: 100 },
    ],
    [],
  ]) {
    const lag = estimateTimeLag({
      committedOffset: 50,
      lag: 50,
      nextRecord: undefined,
      history,
      nowMs: 10_000,
    });
    assert.ok(Number.isFinite(lag.seconds) && lag.seconds >= 0, JSON.stringify(lag));
  }
});

test('a record without a timestamp (-1) falls back to interpolation', () => {
  const lag = estimateTimeLag({
    committedOffset: 150,
    lag: 50,
    nextRecord: { offset: 150, timestampMs: -1 },
    history: [
      { atMs: 0, logEndOffset: 0 },
      { atMs: 20_000, logEndOffset: 200 },
    ],
    nowMs: 20_000,
  });
  assert.deepEqual(lag, { seconds: 5, source: 'interpolated' });
});
