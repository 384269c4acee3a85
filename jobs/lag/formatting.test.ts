import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatSeconds, sparkline, trendArrow } from './formatting.js';
import { formatTable } from './textTable.js';

test('durations read at a glance', () => {
  assert.deepEqual([0, 4.25, 42, 312, 7_380, 273_600, null].map(formatSeconds), [
    '0s',
    '4.3s',
    '42s',
    '5m12s',
    '2h03m',
    '3d04h',
    '-',
  ]);
});

test('sparkline scales to the window maximum; arrows show direction', () => {
  assert.equal(sparkline([0, 1, 2, 4, 8]), '▁▁▂▄█');
  assert.equal(sparkline([0, 0]), '▁▁');
  assert.deepEqual(
    ['rising', 'falling', 'flat', 'unknown'].map((t) => trendArrow(t as 'flat')),
    ['↑', '↓', '→', '?'],
  );
});

test('columns align and colour takes no width', () => {
  const text = formatTable(
    ['A', 'BB'],
    [
      ['\u001b[31mxyz\u001b[0m', '1'],
      ['q', '22'],
    ],
  );
  assert.equal(
    text.replaceAll('\u001b[31m', '').replaceAll('\u001b[0m', ''),
    'A    BB\nxyz  1\nq    22',
  );
});
