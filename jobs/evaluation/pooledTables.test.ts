import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bestBaseline, formatPooledTables, type CutoffRun } from './pooledTables.js';
import type { EvaluationUser } from './timeSplit.js';
import type { UserList } from './userMetrics.js';

function user(userId: number, seen: number[], relevant: number[]): EvaluationUser {
  return { userId, seen: new Set(seen), relevant: new Set(relevant) };
}

function lists(entries: Record<string, [number, number[]][]>): Map<string, UserList[]> {
  return new Map(
    Object.entries(entries).map(([name, rows]) => [
      name,
      rows.map(([userId, items]) => ({ userId, items, seenReturned: 0 })),
    ]),
  );
}

// Cut-off 1: users 1 (history) and 2 (none); best baseline most-popular.
// Cut-off 2: users 1 again and 3 (both with history); best baseline EASE, and no funnel row.
const runs: CutoffRun[] = [
  {
    cutoffMs: Date.UTC(1998, 0, 11),
    users: [user(1, [9], [3]), user(2, [], [4])],
    liked: [user(1, [9], [3])],
    reference: 'most-popular',
    lists: lists({
      'most-popular': [
        [1, [5, 6]],
        [2, [5, 6]],
      ],
      funnel: [
        [1, [3, 5]],
        [2, [5, 6]],
      ],
      fallback: [
        [1, [5, 3]],
        [2, [5, 6]],
      ],
    }),
  },
  {
    cutoffMs: Date.UTC(1998, 1, 8),
    users: [user(1, [9, 3], [7]), user(3, [8], [6])],
    liked: [user(3, [8], [6])],
    reference: 'EASE',
    lists: lists({
      EASE: [
        [1, [7, 5]],
        [3, [5, 6]],
      ],
      fallback: [
        [1, [5, 6]],
        [3, [6, 5]],
      ],
    }),
  },
];

test('pools the users with history of every cut-off, pairs against each one’s best baseline', () => {
  const text = formatPooledTables(runs, [
    ['funnel', bestBaseline],
    ['funnel', 'fallback'],
    ['fallback', bestBaseline],
  ]);
  const [header, any, liked] = text.split('\n\n');
  assert.match(header ?? '', /pooled over 2 cut-offs \(1998-01-11, 1998-02-08\)/);
  const row = (section: string | undefined, name: string): string =>
    (section ?? '').split('\n').find((line) => line.startsWith(name)) ?? '';
  // The funnel exists at the first cut-off only: one unit (user 1), recall@10 1 − 0.
  assert.match(row(any, 'funnel − best baseline'), /\s1\s+1\s+1\.0000 \[1\.0000, 1\.0000\]/);
  assert.match(any ?? '', /funnel − best baseline: not in the runs of 1998-02-08/);
  // Fallback − best baseline: user 1 at cut-off 1 (1 − 0), user 1 at cut-off 2 (0 − 1), user 3
  // at cut-off 2 (1 − 1); user 2 has no history and is left out. 3 units, 2 users, mean 0.
  assert.match(row(any, 'fallback − best baseline'), /\s3\s+2\s+0\.0000 \[/);
  // 4★ or more: user 1 at cut-off 1 and user 3 at cut-off 2.
  assert.match(row(liked, 'fallback − best baseline'), /\s2\s+2\s+0\.5000 \[/);
  // NDCG@10 of the funnel's hit at rank 1 against the fallback's at rank 2: 1 − 1/log2(3).
  assert.match(
    row(any, 'funnel − fallback'),
    new RegExp(`${(1 - 1 / Math.log2(3)).toFixed(4)} \\[`),
  );
});
