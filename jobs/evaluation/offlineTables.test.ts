import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isTransient } from './servingAsker.js';
import { formatTables } from './offlineTables.js';
import type { EvaluationUser } from './timeSplit.js';

function user(userId: number, seen: number[], relevant: number[]): EvaluationUser {
  return { userId, seen: new Set(seen), relevant: new Set(relevant) };
}

test('four tables from the same lists: any rating / 4★+, all users / with history', () => {
  // User 1 (history) liked 3 and rated 4 low; user 2 (no history) rated 4 low only.
  const users = [user(1, [1], [3, 4]), user(2, [], [4])];
  const liked = [user(1, [1], [3])];
  const lists = new Map([
    [
      'most-popular',
      [
        { userId: 1, items: [2, 3], seenReturned: 0 },
        { userId: 2, items: [1, 2], seenReturned: 0 },
      ],
    ],
    [
      'served recommender',
      [
        { userId: 1, items: [4, 2], seenReturned: 1 },
        { userId: 2, items: [4, 1], seenReturned: 0 },
      ],
    ],
  ]);
  const text = formatTables(lists, { users, liked, reference: 'most-popular', catalogueSize: 4 });
  const sections = text.split('\n\n');
  assert.equal(sections.length, 5);
  assert.match(sections[0] ?? '', /against most-popular, the best baseline on the validation/);
  const row = (section: number, name: string): string =>
    (sections[section] ?? '').split('\n').find((line) => line.startsWith(name)) ?? '';
  assert.match(sections[1] ?? '', /^relevant: any test rating; all users with test items \(2\):/);
  // Any rating: served hits 4 for both users (recall@10 0.5 and 1), most-popular hits 3 for user 1.
  assert.match(row(1, 'served recommender '), /\s2\s+0\.7500 \[/);
  assert.match(row(1, 'most-popular '), /\s2\s+0\.2500 \[/);
  assert.match(row(1, 'served recommender − most-popular'), /\s2\s+0\.5000 \[/);
  assert.match(sections[2] ?? '', /^relevant: any test rating; users with training history \(1\):/);
  // 4★ or more: movie 4 was rated low, so the served list scores nothing; most-popular hits 3.
  assert.match(
    sections[3] ?? '',
    /^relevant: test ratings of 4★ or more; all users with one \(1\)/,
  );
  assert.match(row(3, 'served recommender '), /\s1\s+0\.0000 \[/);
  assert.match(row(3, 'most-popular '), /\s1\s+1\.0000 \[/);
  // Coverage@10 over the four movies: most-popular shows 2 and 3 to the one user here, and 1, 2
  // and 3 to the two users of the first table.
  assert.match(row(3, 'most-popular '), /0\.5000$/);
  assert.match(row(1, 'most-popular '), /0\.7500$/);
  assert.match(sections[4] ?? '', /^relevant: test ratings of 4★ or more; users with training/);
});

test('replies degraded by a missed deadline are asked again; what the recommender knows is not', () => {
  const reply = (reason: string | null) => ({ degraded: reason !== null, degradedReason: reason });
  assert.equal(
    isTransient(reply('user features unavailable: no query endpoint answered within 50 ms')),
    true,
  );
  assert.equal(isTransient(reply('personalisation failed: timeout')), true);
  assert.equal(isTransient(reply('unknown user: no features yet')), false);
  assert.equal(isTransient(reply('no personalised candidates')), false);
  assert.equal(isTransient(reply(null)), false);
});
