import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { CalibrationWindow } from '../../schemas/generated/calibrationWindow.js';
import { calibrationAlert, calibrationReportText } from './calibrationReport.js';

const t0 = Date.UTC(2026, 0, 5, 12);

function window(
  minute: number,
  drifting: boolean,
  options: { scope?: string; impressions?: number } = {},
): CalibrationWindow {
  const impressions = options.impressions ?? 4_000;
  return {
    scope: options.scope ?? 'all',
    windowStart: t0 + minute * 60_000,
    windowEnd: t0 + (minute + 1) * 60_000,
    impressions,
    clicks: drifting ? 200 : 320,
    predictedCtr: 0.08,
    actualCtr: drifting ? 0.05 : 0.08,
    zScore: drifting ? -7 : 0.1,
    relativeGap: drifting ? -0.375 : 0,
    drifting,
    verdict: impressions < 500 ? 'too few impressions' : drifting ? 'drifting' : 'calibrated',
    feedbackWindowMs: 600_000,
  };
}

test('a scope alerts when its latest judged windows drift; too-small windows neither raise nor clear it', () => {
  const windows = [window(0, false), window(1, true), window(2, false, { impressions: 20 })];
  assert.deepEqual(calibrationAlert(windows).drifting, ['all']);
  assert.deepEqual(calibrationAlert(windows, 2).drifting, [], 'two in a row asked');
  assert.deepEqual(calibrationAlert([...windows, window(3, false)]).drifting, [], 'recovered');
  const models = [window(0, true, { scope: 'model:b' }), window(0, false)];
  assert.deepEqual(calibrationAlert(models).drifting, ['model:b']);
});

test('a window written twice (a replay) counts once, the later record', () => {
  const windows = [window(0, true), window(0, false)];
  assert.deepEqual(calibrationAlert(windows).drifting, []);
  assert.equal(calibrationAlert(windows).latest.length, 1);
});

test('the table shows the last windows per scope and the alert line', () => {
  const text = calibrationReportText(
    [window(0, false), window(1, true), window(2, true), window(0, false, { scope: 'model:a' })],
    { last: 2, consecutive: 2 },
  );
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^scope\s+window .*predicted CTR\s+actual CTR/);
  assert.equal(lines.length, 1 + 2 + 1 + 1, 'header, two of all, one of model:a, the alert');
  assert.match(
    text,
    /2026-01-05 12:01:00 \.\. 12:02:00\s+4000\s+200\s+8\.00 %\s+5\.00 %\s+-37\.5 %\s+-7\.00\s+drifting/,
  );
  assert.equal(lines.at(-1), 'ALERT: drifting in all (last 2 window(s))');
});
