import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formatRestore,
  restoreRate,
  summarize,
  summarizeAll,
  summarizeRuns,
} from './chaosDriver.js';
import { parseRestore, type RestoreEvent } from './jobProcess.js';

test('CHAOS_RESTORE lines: the documented JSON is parsed, anything else is left alone', () => {
  assert.deepEqual(
    parseRestore('{"task":"1_3","store":"video-views","records":123,"bytes":4567,"ms":89}'),
    { task: '1_3', store: 'video-views', records: 123, bytes: 4567, ms: 89 },
  );
  assert.deepEqual(
    parseRestore(
      '{"task":"1_3","store":"video-views","records":123,"bytes":4567,"ms":89,"at":1700000000000}',
    ),
    { task: '1_3', store: 'video-views', records: 123, bytes: 4567, ms: 89, at: 1_700_000_000_000 },
  );
  assert.equal(parseRestore('{"task":"1_3","records":"123"}'), undefined);
  assert.equal(parseRestore('not json'), undefined);
  assert.equal(parseRestore('null'), undefined);
});

test('restore summaries: bytes over the wall-clock time of each run, and over the summed time', () => {
  const event = (ms: number, at: number): RestoreEvent => ({
    task: '0_0',
    store: 's',
    records: 10,
    bytes: 1_048_576,
    ms,
    at,
  });
  // Run 1: two stores restoring at the same time, 0.5 s in all; run 2: one store, 0.25 s.
  const runs = [[event(400, 10_400), event(500, 10_500)], [event(250, 20_250)]];
  const all = summarizeAll(runs);
  assert.equal(all.stores, 3);
  assert.equal(all.ms, 1_150);
  assert.equal(all.wallMs, 750);
  assert.equal(restoreRate(all.bytes, all.wallMs), '4.00 MB/s');
  assert.deepEqual(
    summarizeRuns(runs).map(({ run, summary }) => [run, summary.wallMs]),
    [
      [1, 500],
      [2, 250],
    ],
  );
  assert.equal(
    formatRestore(summarize(runs[0] ?? [])),
    '2 stores, 20 records, 2.0 MB in 0.50 s together = 4.00 MB/s (0.9 s summed over stores = 2.22 MB/s)',
  );
  // Lines without `at` (an older job): no wall-clock figure.
  assert.equal(
    summarize([{ task: '0_0', store: 's', records: 1, bytes: 1, ms: 100 }]).wallMs,
    undefined,
  );
});
