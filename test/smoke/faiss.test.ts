import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import faiss from 'faiss-node';

import { seededRandom } from '../../operators/support/seededRandom.js';

test('FAISS: an HNSW index returns the known nearest neighbour, also after a save and load', () => {
  const dims = 32;
  const count = 2_000;
  const random = seededRandom(7);
  const vectors: number[] = Array.from({ length: dims * count }, () => random() * 2 - 1);
  const index = faiss.Index.fromFactory(dims, 'HNSW32,Flat', faiss.MetricType.METRIC_L2);
  index.add(vectors);
  assert.equal(index.ntotal(), count);

  const target = 1234;
  const query = vectors.slice(target * dims, (target + 1) * dims).map((x) => x + 0.001);
  const result = index.search(query, 3);
  assert.equal(result.labels[0], target);
  assert.ok((result.distances[0] ?? Infinity) < 1e-3, `distance ${String(result.distances[0])}`);

  const dir = mkdtempSync(join(tmpdir(), 'reelstream-faiss-'));
  try {
    const file = join(dir, 'shard-0.faiss');
    index.write(file);
    const loaded = faiss.Index.read(file);
    assert.equal(loaded.search(query, 1).labels[0], target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
