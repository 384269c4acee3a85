import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultEvaluatorSettings } from './burrowEvaluator.js';
import type { GroupOffsets, LagSnapshot } from './lagModel.js';
import { buildReport, recordSnapshot } from './lagReport.js';
import { SampleHistory } from './sampleHistory.js';
import { visibleWidth } from './textTable.js';
import { renderOutageFrame, renderWatchFrame } from './watchView.js';

/** Three groups of 20 partitions with production-length names; `billing` stalled on partition 7. */
function report(): ReturnType<typeof buildReport> {
  const group = (groupId: string, topic: string, stalledPartition?: number): GroupOffsets => ({
    groupId,
    type: 'classic',
    simple: false,
    state: 'Stable',
    memberCount: 1,
    partitions: Array.from({ length: 20 }, (_, partition) => ({
      topic,
      partition,
      committedOffset: partition === stalledPartition ? 1_000 : 123_456,
      logEndOffset: 123_456,
      lastStableOffset: 123_456,
      logStartOffset: 0,
      nextRecord: undefined,
      owner: {
        consumerId: `${groupId}-7f3c9a2e-1b4d-4e8f-9a6b-2c5d8e1f0a3b`,
        clientId: `${groupId}-client`,
        host: '/10.12.134.201',
      },
    })),
  });
  const history = new SampleHistory();
  const groups = [
    group('recommendations-feature-job', 'rec.user-events'),
    group('billing-invoice-mailer', 'billing.invoices.v2', 7),
    group('search-indexer', 'catalog.videos'),
  ];
  let snapshot: LagSnapshot = { takenAtMs: 0, groups };
  for (let i = 0; i < 4; i++) {
    snapshot = { takenAtMs: 100_000 + i * 1_000, groups };
    recordSnapshot(history, snapshot);
  }
  return buildReport(snapshot, history, defaultEvaluatorSettings);
}

const options = { colour: false, intervalMs: 5_000, windowMs: 600_000 };

test('--watch fits an 80x24 terminal: rows cut with "… N more", title and overall status kept', () => {
  const frame = renderWatchFrame(report(), { ...options, columns: 80, rows: 24 });
  const lines = frame.split('\n');
  const tooWide = lines.filter((l) => visibleWidth(l) > 80);
  assert.deepEqual(tooWide, [], 'lines wider than the terminal wrap and break the columns');
  assert.ok(lines.length <= 24, `${lines.length} lines on a 24-line terminal`);
  assert.match(lines[0] ?? '', /overall ERR/);
  assert.match(lines[2] ?? '', /^\S*GROUP\s.*PARTITION\s+.*LAG\s+TIME-LAG\s+STATUS/);
  // The stalled partition is the first row shown, whatever else is cut.
  assert.match(lines[3] ?? '', /billing-.*-7 .*ERR STALL/);
  assert.match(frame, /^… 41 more partitions/m);
  assert.match(lines[lines.length - 1] ?? '', /Ctrl-C to quit/);
});

test('--watch on a wide terminal keeps every column, and a piped one is not cut at all', () => {
  const wide = renderWatchFrame(report(), { ...options, columns: 200, rows: 100 }).split('\n');
  assert.match(
    wide[2] ?? '',
    /GROUP-STATUS +GROUP +PARTITION +CURRENT +LOG-END +LAG +TIME-LAG +STATUS +TREND +OWNER/,
  );
  assert.equal(wide.length, 3 + 60 + 1);
  const piped = renderWatchFrame(report(), options);
  assert.equal(piped.split('\n').length, 3 + 60 + 1 + 1);
});

test('--watch at 52 columns: names shortened, essential columns kept', () => {
  const lines = renderWatchFrame(report(), { ...options, columns: 52, rows: 10 }).split('\n');
  assert.deepEqual(
    lines.filter((l) => visibleWidth(l) > 52),
    [],
  );
  assert.ok(lines.length <= 10);
  assert.match(lines[2] ?? '', /GROUP +PARTITION +LAG +TIME-LAG +STATUS/);
  // Cut in the middle: the names' distinguishing ends and the partition number survive.
  assert.match(lines[3] ?? '', /^billi…iler +billi…v2-7 +122456 /);
});

test('the outage frame says the cluster is unreachable and why, within the width', () => {
  const frame = renderOutageFrame(
    '2026-12-05T04:00:00.000Z cluster unreachable for 12 s (3 looks failed): no answer from Kafka at 127.0.0.1:9092 within 2 s; retrying every 1 s',
    { columns: 60, rows: 24 },
  );
  assert.match(frame, /overall UNREACHABLE/);
  assert.deepEqual(
    frame.split('\n').filter((l) => visibleWidth(l) > 60),
    [],
  );
  assert.match(frame.replace(/\n/g, ''), /no answer from Kafka at 127\.0\.0\.1:9092/);
});
