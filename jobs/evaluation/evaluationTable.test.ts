import assert from 'node:assert/strict';
import { test } from 'node:test';

import { coverageAtK, formatEvaluationTable, summarize } from './evaluationTable.js';
import type { MetricSpec, UserMetrics } from './userMetrics.js';

const metrics: readonly MetricSpec[] = [{ name: 'recall@10', kind: 'recall', k: 10 }];

function users(values: readonly number[], offset = 0): UserMetrics[] {
  return values.map((v, i) => ({
    userId: i + 1 + offset,
    relevant: 1,
    returned: 10,
    values: new Map([['recall@10', v]]),
    items: [i + 1, 100],
    seenReturned: 0,
  }));
}

test('one row per recommender with mean and CI, then paired differences', () => {
  const a = { name: 'most-popular', perUser: users([0, 0.5, 1, 0.5]) };
  const b = { name: 'co-visitation', perUser: users([0.5, 0.5, 1, 1]) };
  const table = formatEvaluationTable([a, b], { metrics, bootstrap: { seed: 3 } });
  const lines = table.split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? '', /^recommender\s+users\s+recall@10$/);
  assert.match(lines[1] ?? '', /^most-popular\s+4\s+0\.5000 \[0\.\d{4}, 0\.\d{4}\]$/);
  assert.match(lines[2] ?? '', /^co-visitation\s+4\s+0\.7500 \[/);
  assert.match(lines[3] ?? '', /^co-visitation − most-popular\s+4\s+0\.2500 \[0\.0000, /);
  assert.equal(summarize(a, { metrics }).get('recall@10')?.mean, 0.5);
});

test('recommenders evaluated on different users cannot be compared', () => {
  assert.throws(
    () =>
      formatEvaluationTable(
        [
          { name: 'a', perUser: users([1]) },
          { name: 'b', perUser: users([1], 5) },
        ],
        { metrics },
      ),
    /not evaluated on the same users/,
  );
});

test('differences against a named reference, and coverage@10 over all users', () => {
  const a = { name: 'most-popular', perUser: users([0, 0.5, 1, 0.5]) };
  const b = { name: 'EASE', perUser: users([0.5, 0.5, 1, 1]) };
  const c = { name: 'served', perUser: users([0, 0, 0, 0]) };
  const table = formatEvaluationTable([a, b, c], {
    metrics,
    reference: 'EASE',
    catalogueSize: 10,
  });
  const lines = table.split('\n');
  assert.match(lines[0] ?? '', /^recommender\s+users\s+recall@10\s+coverage@10$/);
  // Items 1..4 and 100: 5 distinct of a catalogue of 10.
  assert.match(lines[1] ?? '', /^most-popular\s+4\s+0\.5000 \[.*\]\s+0\.5000$/);
  assert.match(lines[4] ?? '', /^most-popular − EASE\s+4\s+-0\.2500 \[.*\]\s+0\.0000$/);
  assert.match(lines[5] ?? '', /^served − EASE\s+4\s+-0\.7500 \[-1\.0000, -0\.5000\]/);
  assert.equal(lines.length, 6);
  assert.equal(coverageAtK(a.perUser, { k: 1, catalogueSize: 10 }), 0.4);
  assert.throws(() => formatEvaluationTable([a], { metrics, reference: 'x' }), /no recommender/);
});

test('paired differences besides the reference: one row per pair, after the reference rows', () => {
  const a = { name: 'popular', perUser: users([0, 0.5, 1, 0.5]) };
  const b = { name: 'funnel', perUser: users([1, 1, 1, 1]) };
  const c = { name: 'retrieval', perUser: users([0.5, 0.5, 0.5, 0.5]) };
  const lines = formatEvaluationTable([a, b, c], {
    metrics,
    reference: 'popular',
    pairs: [['funnel', 'retrieval']],
  }).split('\n');
  assert.equal(lines.length, 7);
  assert.match(lines[6] ?? '', /^funnel − retrieval\s+4\s+0\.5000 \[0\.5000, 0\.5000\]$/);
  assert.throws(
    () => formatEvaluationTable([a, b], { metrics, pairs: [['funnel', 'nowhere']] }),
    /no recommender named nowhere/,
  );
});
