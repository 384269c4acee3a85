import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { timeOffsetMs } from '../replay/replayClock.js';
import { weekAlignedNow } from './evaluationClock.js';
import {
  compareRuns,
  compareServedReplies,
  listsDigest,
  loadRunLists,
  saveRunLists,
  type ServedReply,
} from './listRecord.js';

const list = (userId: number, items: number[]) => ({ userId, items, seenReturned: 0 });

test('digests: equal lists, equal digests; any change of order changes it', () => {
  const a = [list(1, [3, 2, 1]), list(2, [5])];
  assert.equal(listsDigest(a), listsDigest([list(1, [3, 2, 1]), list(2, [5])]));
  assert.notEqual(listsDigest(a), listsDigest([list(1, [2, 3, 1]), list(2, [5])]));
  assert.match(listsDigest(a), /^[0-9a-f]{16}$/);
});

test('a run compared with the previous one, through the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evaluation-lists-'));
  try {
    const file = join(dir, 'nested', 'lists.json');
    assert.equal(loadRunLists(file), undefined);
    const top = Array.from({ length: 12 }, (_, i) => i + 1);
    const before = new Map([
      ['EASE', [list(1, top), list(2, [1, 2])]],
      ['served', [list(1, top), list(2, [1, 2])]],
    ]);
    saveRunLists(file, before);
    const now = new Map([
      ['EASE', [list(1, top), list(2, [1, 2])]],
      ['served', [list(1, [...top.slice(0, 10), 12, 11]), list(2, [2, 1])]],
      ['new', [list(1, [1])]],
    ]);
    const previous = loadRunLists(file);
    assert.ok(previous !== undefined);
    assert.deepEqual(compareRuns(now, previous), [
      '  EASE: same list for 2 of 2 users, same top 10 for 2',
      '  served: same list for 0 of 2 users, same top 10 for 1',
      '  new: not in the previous run',
    ]);
    saveRunLists(file, now);
    assert.deepEqual(loadRunLists(`${file}.previous`), previous);
    assert.equal(loadRunLists(file)?.get('new')?.length, 1);
    writeFileSync(file, 'not json');
    assert.equal(loadRunLists(file), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the replay is shifted by whole weeks, the same for any wall clock in one week', () => {
  const ratings = [{ timestamp: 892_079_910 }, { timestamp: 880_000_000 }];
  const weekMs = 7 * 86_400_000;
  const offsets = [0, 1, 3 * 86_400_000, weekMs - 1].map((delta) =>
    timeOffsetMs({
      mode: 'shifted',
      lastRatingMs: 892_079_910_000,
      nowMs: weekAlignedNow(ratings, Date.UTC(2026, 11, 5) + delta),
    }),
  );
  const [first] = offsets;
  assert.ok(first !== undefined && first > 0 && first % weekMs === 0, `${first}`);
  // Within one week of wall clock the shift is the same, or one week more at the boundary.
  for (const offset of offsets) {
    assert.ok(offset === first || offset === first + weekMs, `${offset}`);
    assert.ok(892_079_910_000 + offset <= Date.UTC(2026, 11, 5) + weekMs);
  }
});

test('served replies compared with the previous run: items, order, sources, scores to 1e-9', () => {
  const reply = (userId: number, items: ServedReply['items']): ServedReply => ({
    userId,
    degraded: null,
    items,
  });
  const before = [
    reply(1, [
      ['v1', 0.5, 'CO_VISITATION'],
      ['v2', 0.25, 'TRENDING_REGION'],
    ]),
    reply(2, [['v1', 0.5, 'CO_VISITATION']]),
    reply(3, [['v3', 0.5, 'CO_VISITATION']]),
    reply(4, [['v4', 0.5, 'CO_VISITATION']]),
  ];
  const after = [
    // the same but for the last digits of a score: identical
    reply(1, [
      ['v1', 0.5 + 1e-15, 'CO_VISITATION'],
      ['v2', 0.25, 'TRENDING_REGION'],
    ]),
    reply(2, [['v1', 0.5, 'CO_VISITATION+POPULAR_REGION']]), // another source
    reply(3, [['v3', 0.51, 'CO_VISITATION']]), // another score
    { ...reply(4, [['v4', 0.5, 'CO_VISITATION']]), degraded: 'unknown user' },
    reply(5, []), // not in the previous run
  ];
  assert.equal(
    compareServedReplies(after, before),
    '  served replies: identical for 1 of 5 users (items, order, sources, scores to 1e-9); users that differ, e.g. 2, 3, 4, 5',
  );
  assert.equal(
    compareServedReplies(before, before),
    '  served replies: identical for 4 of 4 users (items, order, sources, scores to 1e-9)',
  );
});
