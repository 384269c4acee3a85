import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { unitVector, type ItemVector } from './mmr.js';
import { exclusionOf } from './recommend.js';
import type { Candidate } from './scoring.js';
import {
  currentVideoOf,
  markEmbeddingNeighbours,
  neighboursFirst,
  proposeCoVisited,
} from './upNext.js';

const request: RecommendationRequest = {
  requestId: 'r',
  userId: 'u',
  region: 'eu',
  surface: 'UP_NEXT',
  count: 10,
  requestTime: 0,
  context: { currentVideoId: 'now', device: null },
};

function candidate(videoId: string): Candidate {
  return { videoId, sources: new Set(['TRENDING_REGION']), raw: {} };
}

test('only up-next requests with a current video have one; it is excluded', () => {
  assert.equal(currentVideoOf(request), 'now');
  assert.equal(currentVideoOf({ ...request, surface: 'HOME_FEED' }), undefined);
  assert.equal(currentVideoOf({ ...request, context: null }), undefined);
  const excluded = exclusionOf({ user: undefined, seen: undefined, currentVideoId: 'now' });
  assert.equal(excluded('now'), true);
  assert.equal(excluded('other'), false);
});

test('co-visitation neighbours: the signal is the score over the best neighbour’s', () => {
  const proposed = new Map<string, Candidate>();
  proposeCoVisited(
    {
      videoId: 'now',
      neighbours: [
        { videoId: 'a', score: 4, count: 4 },
        { videoId: 'b', score: 1, count: 1 },
      ],
      updatedTime: 0,
    },
    (videoId) => {
      const c = proposed.get(videoId) ?? candidate(videoId);
      proposed.set(videoId, c);
      return c;
    },
  );
  assert.equal(proposed.get('a')?.raw.currentVideo, 1);
  assert.equal(proposed.get('b')?.raw.currentVideo, 0.25);
  assert.deepEqual([...(proposed.get('b')?.sources ?? [])].sort(), [
    'CO_VISITATION',
    'CURRENT_VIDEO_NEIGHBOURS',
    'TRENDING_REGION',
  ]);
});

test('embedding neighbours: the nearest within the scan, one model version, bounded', async () => {
  const vectors = new Map<string, ItemVector | null>([
    ['now', unitVector('m1', [1, 0])],
    ['near', unitVector('m1', [1, 0.1])],
    ['nearer', unitVector('m1', [1, 0.01])],
    ['far', unitVector('m1', [-1, 0])],
    ['other-version', unitVector('m2', [1, 0])],
    ['past-the-scan', unitVector('m1', [1, 0])],
  ]);
  const asked: string[] = [];
  const candidates = ['near', 'far', 'other-version', 'nearer', 'no-vector', 'past-the-scan'].map(
    candidate,
  );
  const read = await markEmbeddingNeighbours('now', candidates, {
    embedding: (videoId) => {
      asked.push(videoId);
      return Promise.resolve(vectors.get(videoId) ?? undefined);
    },
    scan: 5,
    neighbours: 1,
  });
  assert.ok(!asked.includes('past-the-scan'), 'at most `scan` candidates are read');
  const marked = candidates.filter((c) => c.sources.has('CURRENT_VIDEO_NEIGHBOURS'));
  assert.deepEqual(
    marked.map((c) => c.videoId),
    ['nearer'],
  );
  assert.ok((marked[0]?.raw.currentVideo ?? 0) > 0.99);
  assert.deepEqual([...read.keys()].sort(), ['far', 'near', 'nearer', 'other-version']);
});

test('neighbours first, each group in the ranking’s order, whatever the ranking scored', () => {
  const entry = (videoId: string, score: number, neighbour: boolean) => {
    const c = candidate(videoId);
    if (neighbour) {
      c.sources.add('CURRENT_VIDEO_NEIGHBOURS');
    }
    return { candidate: c, score };
  };
  // A model that does not see the current video ranked two others above its neighbours.
  const ordered = neighboursFirst([
    entry('o1', 0.9, false),
    entry('n1', 0.5, true),
    entry('o2', 0.4, false),
    entry('n2', 0.1, true),
  ]);
  assert.deepEqual(
    ordered.map((e) => e.candidate.videoId),
    ['n1', 'n2', 'o1', 'o2'],
  );
  // Lifted by twice the spread (0.8): the lowest neighbour a spread above the best other.
  assert.ok(Math.abs((ordered[1]?.score ?? 0) - 1.7) < 1e-5);
  assert.equal(ordered[2]?.score, 0.9);
});
