import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecommendedItem } from '../../schemas/generated/recommendationReply.js';
import {
  defaultExplorationShare,
  explorationPositions,
  thompsonPick,
  withExploration,
  type ExplorationCandidate,
} from './exploration.js';
import { seededRandom } from './random.js';

function ranked(count: number): RecommendedItem[] {
  return Array.from({ length: count }, (_, i) => ({
    videoId: `r${i}`,
    score: 1 - i / 100,
    sources: ['CO_VISITATION'],
    predictedClick: null,
    predictedWatchSeconds: null,
    explored: false,
  }));
}

const fresh: ExplorationCandidate[] = Array.from({ length: 30 }, (_, i) => ({
  videoId: `f${i}`,
  alpha: 1 + i,
  beta: 30,
}));

/** One simulated reply, as the recommender builds it: positions, then the slot. */
function reply(requestId: string, count: number): RecommendedItem[] {
  const random = seededRandom(requestId);
  const positions = explorationPositions(count, defaultExplorationShare, random);
  return withExploration(ranked(count), { positions, count, fresh, random });
}

test('about 5% of positions explored over 10,000 replies, each marked', () => {
  let explored = 0;
  let positions = 0;
  for (let i = 0; i < 10_000; i++) {
    const items = reply(`req-${i}`, 10);
    assert.equal(items.length, 10);
    positions += items.length;
    for (const item of items) {
      if (item.explored) {
        explored += 1;
        assert.deepEqual(item.sources, ['EXPLORATION']);
        assert.match(item.videoId, /^f/);
      } else {
        assert.match(item.videoId, /^r/);
      }
    }
  }
  const share = explored / positions;
  // 100,000 positions: the standard error of the share is 0.0007; four of them.
  assert.ok(Math.abs(share - 0.05) < 0.003, `explored share ${share}`);
});

test('a reply is reproducible from its request id; the list stays in score order', () => {
  for (let i = 0; i < 200; i++) {
    const first = reply(`again-${i}`, 20);
    assert.deepEqual(reply(`again-${i}`, 20), first);
    first.forEach((item, p) => assert.ok(p === 0 || item.score <= (first[p - 1]?.score ?? 0)));
    assert.equal(new Set(first.map((item) => item.videoId)).size, first.length, 'no repeats');
  }
});

test('explored positions take the winner, ranked items move down, the last is cut', () => {
  const items = withExploration(ranked(4), {
    positions: [1],
    count: 4,
    fresh: [{ videoId: 'f', alpha: 1, beta: 1 }],
    random: seededRandom('x'),
  });
  assert.deepEqual(
    items.map((i) => [i.videoId, i.score, i.explored]),
    [
      ['r0', 1, false],
      ['f', 0.99, true],
      ['r1', 0.99, false],
      ['r2', 0.98, false],
    ],
  );
  // Nothing fresh left: the ranked list as it was.
  const none = withExploration(ranked(4), {
    positions: [0, 1],
    count: 4,
    fresh: [],
    random: seededRandom('x'),
  });
  assert.deepEqual(none, ranked(4));
});

test('Thompson sampling favours the better posterior, and still tries the other', () => {
  const random = seededRandom('thompson');
  const good = { videoId: 'good', alpha: 30, beta: 70 }; // CTR about 0.3, narrow
  const poor = { videoId: 'poor', alpha: 2, beta: 98 }; // about 0.02
  const unseen = { videoId: 'unseen', alpha: 1, beta: 1 }; // anything
  const wins = new Map<string, number>();
  for (let i = 0; i < 5_000; i++) {
    const winner = thompsonPick([good, poor, unseen], random)?.videoId ?? '';
    wins.set(winner, (wins.get(winner) ?? 0) + 1);
  }
  // P(unseen wins) = P(U > draw of good, poor) ≈ P(U > 0.3) = 0.7; good wins most of the rest.
  assert.ok((wins.get('unseen') ?? 0) > 3_000, JSON.stringify([...wins]));
  assert.ok((wins.get('good') ?? 0) > (wins.get('poor') ?? 0), JSON.stringify([...wins]));
  assert.equal(thompsonPick([], random), undefined);
});
