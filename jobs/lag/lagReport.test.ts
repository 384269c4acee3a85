import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultEvaluatorSettings } from './burrowEvaluator.js';
import { renderJson } from './jsonReport.js';
import type { LagSnapshot, PartitionOffsets } from './lagModel.js';
import { buildReport, onlyProblems, recordSnapshot } from './lagReport.js';
import { SampleHistory } from './sampleHistory.js';
import { renderTable } from './tableView.js';
import { renderWatchFrame } from './watchView.js';

function partition(overrides: Partial<PartitionOffsets>): PartitionOffsets {
  return {
    topic: 'orders',
    partition: 0,
    committedOffset: 10,
    logEndOffset: 10,
    lastStableOffset: 10,
    logStartOffset: 0,
    nextRecord: undefined,
    owner: { consumerId: 'c-1', clientId: 'app', host: '/127.0.0.1' },
    ...overrides,
  };
}

function snapshot(partitions: PartitionOffsets[], takenAtMs = 100_000): LagSnapshot {
  return {
    takenAtMs,
    groups: [
      { groupId: 'g', type: 'classic', simple: false, state: 'Stable', memberCount: 1, partitions },
    ],
  };
}

test('lag like kafka-consumer-groups: "-" without a commit, negative as Kafka prints it', () => {
  const snap = snapshot([
    partition({ partition: 0, committedOffset: null }),
    partition({ partition: 1, committedOffset: 15, logEndOffset: 10 }),
    partition({ partition: 2, committedOffset: 4, nextRecord: { offset: 4, timestampMs: 90_000 } }),
  ]);
  const history = new SampleHistory();
  recordSnapshot(history, snap);
  const [p0, p1, p2] =
    buildReport(snap, history, defaultEvaluatorSettings).groups[0]?.partitions ?? [];
  assert.equal(p0?.lag, null);
  assert.equal(p0?.timeLagSeconds, null);
  assert.equal(p1?.lag, -5);
  assert.equal(p2?.lag, 6);
  assert.equal(p2?.timeLagSeconds, 10);
  const table = renderTable(buildReport(snap, history, defaultEvaluatorSettings), {
    colour: false,
  });
  assert.match(table, /^g +orders +0 +- +10 +- +- +OK/m);
  assert.ok(!table.includes('\u001b'));
});

test('a lag made only of transaction markers is shown, but counts as caught up', () => {
  const snap = snapshot([partition({ committedOffset: 9, nextRecord: 'nothing-to-read' })]);
  const history = new SampleHistory();
  for (let i = 0; i < 5; i++) {
    recordSnapshot(history, { ...snap, takenAtMs: 100_000 + i * 1000 });
  }
  const report = buildReport({ ...snap, takenAtMs: 104_000 }, history, defaultEvaluatorSettings);
  const row = report.groups[0]?.partitions[0];
  assert.equal(row?.lag, 1);
  assert.equal(row?.effectiveLag, 0);
  assert.equal(row?.status, 'OK');
  assert.equal(row?.timeLagSeconds, 0);
  assert.match(renderTable(report, { colour: false }), / 1 \(txn\) /);
});

test('the JSON document carries the schema version, window and rows', () => {
  const snap = snapshot([partition({})]);
  const history = new SampleHistory();
  recordSnapshot(history, snap);
  const report = buildReport(snap, history, defaultEvaluatorSettings);
  const json = JSON.parse(
    renderJson(report, { brokers: ['k:9092'], settings: defaultEvaluatorSettings }),
  ) as {
    schemaVersion: number;
    status: string;
    window: { seconds: number };
    groups: { partitions: object[] }[];
  };
  assert.equal(json.schemaVersion, 2);
  assert.equal(json.status, 'OK');
  assert.equal(json.window.seconds, 600);
  assert.deepEqual(Object.keys(json.groups[0]?.partitions[0] ?? {}), [
    'topic',
    'partition',
    'committedOffset',
    'logEndOffset',
    'lastStableOffset',
    'logStartOffset',
    'lag',
    'effectiveLag',
    'lostRecords',
    'timeLagSeconds',
    'timeLagSource',
    'consumerId',
    'host',
    'clientId',
    'status',
    'reason',
    'trend',
    'lagWindow',
  ]);
});

test('status over a window of samples: a stalled partition is ERR, --problems keeps only it', () => {
  const history = new SampleHistory();
  let report = buildReport(snapshot([]), history, defaultEvaluatorSettings);
  for (let i = 0; i < 4; i++) {
    const snap = snapshot(
      [partition({ partition: 0, committedOffset: 5 }), partition({ partition: 1 })],
      100_000 + i * 1000,
    );
    recordSnapshot(history, snap);
    report = buildReport(snap, history, defaultEvaluatorSettings);
  }
  assert.equal(report.status, 'ERR');
  assert.equal(report.groups[0]?.reason, 'STALL');
  assert.deepEqual(
    onlyProblems(report).groups[0]?.partitions.map((p) => p.partition),
    [0],
  );
  const frame = renderWatchFrame(report, { colour: false, intervalMs: 1000, windowMs: 600_000 });
  assert.match(frame, /orders-0 .* ERR STALL +████ →/);
});

test('a committed offset beyond the log end: lag -50 as Kafka prints it, ERR BEYOND_LOG_END', () => {
  // Committed 150 on a partition whose log ends at 100 (topic recreated, unclean leader
  // election, offsets set by hand): the consumer's next fetch is out of range.
  const snap = snapshot([
    partition({ committedOffset: 150, logEndOffset: 100, lastStableOffset: 100 }),
  ]);
  const history = new SampleHistory();
  recordSnapshot(history, snap);
  const report = buildReport(snap, history, defaultEvaluatorSettings);
  const row = report.groups[0]?.partitions[0];
  assert.deepEqual(
    [row?.lag, row?.status, row?.reason, row?.timeLagSeconds],
    [-50, 'ERR', 'BEYOND_LOG_END', null],
  );
  assert.deepEqual([report.status, report.groups[0]?.reason], ['ERR', 'BEYOND_LOG_END']);
  assert.equal(report.groups[0]?.totalLag, 0, 'a negative lag is no backlog');
  assert.match(
    renderTable(report, { colour: false }),
    /^g +orders +0 +150 +100 +-50 +- +ERR BEYOND_LOG_END/m,
  );
});

test('records deleted below the committed offset: RECORDS_LOST, how many, and the age of what is left', () => {
  // Retention moved the log start to 25 while the group sat at 10: 15 records it never read are
  // gone. The first record it can still get (25) was written 60 s ago: a lower bound of its lag.
  const snap = snapshot([
    partition({
      committedOffset: 10,
      logStartOffset: 25,
      logEndOffset: 40,
      lastStableOffset: 40,
      nextRecord: { offset: 25, timestampMs: 40_000 },
    }),
  ]);
  const history = new SampleHistory();
  recordSnapshot(history, snap);
  const report = buildReport(snap, history, defaultEvaluatorSettings);
  const row = report.groups[0]?.partitions[0];
  assert.deepEqual(
    [row?.lag, row?.lostRecords, row?.status, row?.reason, row?.timeLagSeconds, row?.timeLagSource],
    [30, 15, 'ERR', 'RECORDS_LOST', 60, 'record'],
  );
  assert.equal(report.groups[0]?.reason, 'RECORDS_LOST');
  assert.match(renderTable(report, { colour: false }), / 30 +1m00s +ERR RECORDS_LOST /);
  const json = JSON.parse(
    renderJson(report, { brokers: ['k:9092'], settings: defaultEvaluatorSettings }),
  ) as { groups: { partitions: { lostRecords: number }[] }[] };
  assert.equal(json.groups[0]?.partitions[0]?.lostRecords, 15);
});

test('a group 8 records behind is not summarised CAUGHT_UP', () => {
  const snap = snapshot([
    partition({ partition: 0 }),
    partition({ partition: 1, committedOffset: 2, logEndOffset: 10 }),
  ]);
  const history = new SampleHistory();
  recordSnapshot(history, snap);
  const group = buildReport(snap, history, defaultEvaluatorSettings).groups[0];
  assert.deepEqual([group?.totalLag, group?.status, group?.reason], [8, 'OK', 'INSUFFICIENT_DATA']);
});
