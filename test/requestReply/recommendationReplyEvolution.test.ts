import assert from 'node:assert/strict';
import { test } from 'node:test';

import avro from 'avsc';

import {
  recommendationReplySchema,
  type RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';

/**
 * The TWO_TOWER candidate source is a compatible evolution of RecommendationReply: a reader of
 * the schema before it (the same enum without the symbol) reads a reply naming it as OTHER, the
 * enum's default, and every other source unchanged; a reader of the new schema reads replies
 * written before it as they were.
 */

type Definition = Parameters<typeof avro.Type.forSchema>[0];

function withoutTwoTower(definition: unknown): Definition {
  return JSON.parse(
    JSON.stringify(definition, (key, value: unknown) =>
      key === 'symbols' && Array.isArray(value) ? value.filter((s) => s !== 'TWO_TOWER') : value,
    ),
  ) as Definition;
}

const reply: RecommendationReply = {
  requestId: 'r-1',
  userId: 'u-1',
  items: [
    {
      videoId: 'v-1',
      score: 2,
      sources: ['TWO_TOWER', 'CO_VISITATION'],
      predictedClick: null,
      predictedWatchSeconds: null,
      explored: false,
    },
    {
      videoId: 'v-2',
      score: 1,
      sources: ['POPULAR_REGION'],
      predictedClick: null,
      predictedWatchSeconds: null,
      explored: false,
    },
  ],
  degraded: false,
  degradedReason: null,
  rankingMode: 'MODEL',
  stageMillis: { retrieval: 12, ranking: 30, reranking: 2, total: 45 },
  modelVersion: 'blend-v2',
  servedTime: Date.UTC(2026, 11, 5),
};

test('a reply naming TWO_TOWER reads as OTHER under the schema before it, and old replies read unchanged', () => {
  const current = avro.Type.forSchema(recommendationReplySchema.definition as Definition);
  const previous = avro.Type.forSchema(withoutTwoTower(recommendationReplySchema.definition));
  const written = current.toBuffer(reply);
  const read = previous.decode(written, 0, previous.createResolver(current)).value as {
    items: { sources: string[] }[];
  };
  assert.deepEqual(
    read.items.map((i) => i.sources),
    [['OTHER', 'CO_VISITATION'], ['POPULAR_REGION']],
  );
  const old = previous.toBuffer({
    ...reply,
    items: [{ videoId: 'v-3', score: 1, sources: ['FRESH_UPLOAD'] }],
  });
  const back = current.decode(old, 0, current.createResolver(previous)).value as {
    items: { sources: string[] }[];
  };
  assert.deepEqual(back.items[0]?.sources, ['FRESH_UPLOAD']);
});

/** The schema before the ranking funnel (issue 23): no predictions, exploration or stage times. */
function beforeRankingFunnel(definition: unknown): Definition {
  const added = new Set([
    'predictedClick',
    'predictedWatchSeconds',
    'explored',
    'rankingMode',
    'stageMillis',
  ]);
  return JSON.parse(
    JSON.stringify(definition, (key, value: unknown) =>
      key === 'fields' && Array.isArray(value)
        ? value.filter((f: { name?: unknown }) => typeof f.name !== 'string' || !added.has(f.name))
        : key === 'symbols' && Array.isArray(value)
          ? value.filter((s) => s !== 'EXPLORATION' && s !== 'CURRENT_VIDEO_NEIGHBOURS')
          : value,
    ),
  ) as Definition;
}

test('the ranking funnel fields are a compatible evolution: old replies read with their defaults, new ones read by old readers', () => {
  const current = avro.Type.forSchema(recommendationReplySchema.definition as Definition);
  const previous = avro.Type.forSchema(beforeRankingFunnel(recommendationReplySchema.definition));
  const old = previous.toBuffer({
    ...reply,
    items: [{ videoId: 'v-3', score: 1, sources: ['FRESH_UPLOAD'] }],
  });
  const back = current.decode(old, 0, current.createResolver(previous))
    .value as RecommendationReply;
  assert.equal(back.rankingMode, 'BLEND');
  assert.equal(back.stageMillis, null);
  assert.deepEqual(
    { ...back.items[0] },
    {
      videoId: 'v-3',
      score: 1,
      sources: ['FRESH_UPLOAD'],
      predictedClick: null,
      predictedWatchSeconds: null,
      explored: false,
    },
  );
  const explored = current.toBuffer({
    ...reply,
    items: [{ ...reply.items[0], sources: ['EXPLORATION'], explored: true, predictedClick: 0.1 }],
  });
  const seenByOld = previous.decode(explored, 0, previous.createResolver(current)).value as {
    items: { sources: string[] }[];
  };
  assert.deepEqual(seenByOld.items[0]?.sources, ['OTHER']);
});
