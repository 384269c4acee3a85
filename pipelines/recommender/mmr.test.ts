import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  intraListDiversity,
  itemSimilarity,
  mmrRerank,
  unitVector,
  type DiverseItem,
} from './mmr.js';
import { seededRandom } from './random.js';

function item(videoId: string, vector?: number[], fields: Partial<DiverseItem> = {}): DiverseItem {
  const unit = vector === undefined ? null : unitVector('m1', vector);
  return { videoId, ...(unit === null ? {} : { vector: unit }), ...fields };
}

const open = { perCreator: 100 };

test('a small case by hand', () => {
  // a and b point the same way (similarity 1), c is orthogonal to both (0). λ = 0.7, top = 1:
  // 1st: a 0.7·1 = 0.7 (b 0.63, c 0.42);
  // 2nd: b 0.7·0.9 − 0.3·1 = 0.33, c 0.7·0.6 − 0.3·0 = 0.42 → c;
  // 3rd: b 0.33.
  const ranked = [
    { item: item('a', [1, 0]), relevance: 1 },
    { item: item('b', [2, 0]), relevance: 0.9 },
    { item: item('c', [0, 3]), relevance: 0.6 },
  ];
  const picked = mmrRerank(ranked, { count: 3, lambda: 0.7, ...open });
  assert.deepEqual(
    picked.map((p) => [p.item.videoId, Number(p.score.toFixed(9))]),
    [
      ['a', 0.7],
      ['c', 0.42],
      ['b', 0.33],
    ],
  );
  // The same list's diversity: pairs (a, b) 1 − 1, (a, c) 1 − 0, (b, c) 1 − 0 → 2/3.
  assert.equal(intraListDiversity(picked.map((p) => p.item)), 2 / 3);
});

test('without vectors: category and creator equality', () => {
  const cooking = { category: 'cooking' };
  assert.equal(itemSimilarity(item('a', undefined, cooking), item('b', undefined, cooking)), 0.5);
  assert.equal(
    itemSimilarity(
      item('a', undefined, { ...cooking, creatorId: 'c1' }),
      item('b', undefined, { ...cooking, creatorId: 'c1' }),
    ),
    1,
  );
  assert.equal(itemSimilarity(item('a', undefined, cooking), item('b', undefined, {})), 0);
  // One vector missing, or two model versions: metadata, never a cosine across spaces.
  const other = {
    ...item('b', [1, 0], cooking),
    vector: { modelVersion: 'm2', unit: new Float32Array([1, 0]) },
  };
  assert.equal(itemSimilarity(item('a', [1, 0], cooking), other), 0.5);
});

/** Forty items in four clusters; relevance falls by rank, the best ten all of cluster 0. */
function clustered(): { item: DiverseItem; relevance: number }[] {
  const random = seededRandom('clusters');
  const centres = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  return Array.from({ length: 40 }, (_, rank) => {
    const centre = centres[rank < 10 ? 0 : rank % 4] ?? [];
    const vector = centre.map((x) => x + 0.2 * (random() - 0.5));
    return { item: item(`v${rank}`, vector), relevance: 1 - rank / 40 };
  });
}

test('λ = 1 is relevance order, scores the relevance', () => {
  const ranked = clustered();
  const picked = mmrRerank(ranked, { count: 10, lambda: 1, ...open });
  assert.deepEqual(
    picked.map((p) => [p.item.videoId, p.score]),
    ranked.slice(0, 10).map((r) => [r.item.videoId, r.relevance]),
  );
});

test('diversity rises as λ falls; scores never rise down the list', () => {
  const ranked = clustered();
  const diversities = [1, 0.9, 0.7, 0.5, 0.3].map((lambda) => {
    const picked = mmrRerank(ranked, { count: 10, lambda, ...open });
    picked.forEach((p, i) => {
      const previous = picked[i - 1];
      assert.ok(previous === undefined || p.score <= previous.score, `λ ${lambda}: in score order`);
    });
    return intraListDiversity(picked.map((p) => p.item));
  });
  for (let i = 1; i < diversities.length; i++) {
    assert.ok(
      (diversities[i] ?? 0) >= (diversities[i - 1] ?? 0),
      `diversity ${diversities.join(', ')} rises as λ falls`,
    );
  }
  assert.ok((diversities[4] ?? 0) > (diversities[0] ?? 0) + 0.3, `${diversities.join(', ')}`);
});

test('the per-creator cap holds, and a small pool is topped up in relevance order', () => {
  const ranked = ['a', 'b', 'c', 'd', 'e'].map((id, rank) => ({
    item: item(id, undefined, { creatorId: rank < 3 ? 'c1' : `c-${id}` }),
    relevance: 1 - rank / 10,
  }));
  const capped = mmrRerank(ranked, { count: 5, lambda: 1, perCreator: 2 });
  assert.deepEqual(
    capped.map((p) => p.item.videoId),
    ['a', 'b', 'd', 'e'],
  );
  const pooled = mmrRerank(ranked, { count: 4, lambda: 0.7, perCreator: 2, pool: 2 });
  assert.deepEqual(
    pooled.map((p) => p.item.videoId),
    ['a', 'b', 'd', 'e'],
  );
  pooled.forEach((p, i) => assert.ok(i === 0 || p.score <= (pooled[i - 1]?.score ?? 0)));
});
