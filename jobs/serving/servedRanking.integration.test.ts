import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  avroSerde,
  Pipeline,
  replyTopicPrefix,
  requestHeaders,
  stringSerde,
  TestDriver,
} from '../../operators/index.js';
import { LatencyGuard, type GuardSwitch } from '../../pipelines/recommender/latencyGuard.js';
import { defaultLimits } from '../../pipelines/recommender/recommend.js';
import { servingPipeline } from '../../pipelines/recommender/servingPipeline.js';
import {
  recommendationReplySchema,
  type RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { TrendingList } from '../../schemas/generated/trendingList.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { topicCatalog, topics, trendingKey } from '../../schemas/topics.js';
import { trainerPython } from '../cli/trainCommand.js';
import { dayMs } from '../training/exampleFiles.js';
import { MmoeRanker } from './mmoeRanker.js';
import { day0, featuresOf, trainTinyMmoe } from './tinyMmoe.js';

/**
 * The ranking stage in the serving pipeline (TestDriver, no broker) with a real model: the tiny
 * MMoE ranks every candidate (rankingMode MODEL, each item with its predictions, the list in
 * the objective's order, the impressions carrying predictedClick); once the latency guard is
 * tripped the replies are SIMPLIFIED (the blend, no predictions) while probes run the model
 * beside them, and after three good probes, a second apart on the guard's clock, MODEL again.
 */

const now = day0 + 5 * dayMs;

function video(i: number): VideoUpload {
  return {
    videoId: `v${String(i)}`,
    creatorId: `c${String(i)}`, // one each: the per-creator cap leaves the order alone
    durationMs: 15_000 + i * 2_000,
    category: ['action', 'comedy', 'drama'][i % 3] ?? 'action',
    tags: [],
    region: 'eu',
    uploadTime: now - 48 * 3_600_000,
    eventTime: now - 48 * 3_600_000,
  };
}

test('served ranking: MODEL with predictions, SIMPLIFIED while the guard is tripped, MODEL after its probes', async (t) => {
  const found = trainerPython();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'served-ranking-'));
  let ranker: MmoeRanker | undefined;
  let driver: TestDriver | undefined;
  try {
    const opened = await MmoeRanker.open({ modelDir: await trainTinyMmoe(dir) });
    ranker = opened;
    let clock = 0;
    const switches: GuardSwitch[] = [];
    const guard = new LatencyGuard({
      // Far above the tiny model's time even on a loaded machine: only the test trips it.
      budgetMs: 1_000,
      minSamples: 5,
      now: () => clock,
      onSwitch: (event) => switches.push(event),
    });
    const pipeline = new Pipeline();
    servingPipeline(pipeline, {
      userFeatures: (userId) => Promise.resolve(featuresOf(userId, ['v1', 'v8'], now) ?? undefined),
      // λ = 1 and no exploration: the list is the ranking's order, every item ranked.
      limits: { ...defaultLimits, mmrLambda: 1, explorationShare: 0, perCreator: 10 },
      ranker: opened,
      rankingGuard: guard,
    });
    driver = await TestDriver.start(pipeline);
    const catalog = driver.input(topics.videoCatalog, {
      key: stringSerde,
      value: avroSerde(topicCatalog.videoCatalog.value),
    });
    const videos = Array.from({ length: 30 }, (_, i) => video(i));
    for (const v of videos) {
      await catalog.pipe(v.videoId, v);
    }
    const trending = driver.input(topics.trending, {
      key: stringSerde,
      value: avroSerde(topicCatalog.trending.value),
    });
    const popular: TrendingList = {
      scope: 'POPULAR',
      scopeValue: 'eu',
      windowMs: dayMs,
      items: videos.map((v, i) => ({ videoId: v.videoId, score: 30 - i, views: 30 - i })),
      updatedTime: now,
    };
    await trending.pipe(trendingKey('POPULAR', 'eu'), popular);
    const requests = driver.input(topics.recommendationRequests, {
      key: stringSerde,
      value: avroSerde(topicCatalog.recommendationRequests.value),
    });
    const replyTopic = `${replyTopicPrefix(topics.recommendationRequests)}test`;
    const replies = driver.output(replyTopic, {
      key: stringSerde,
      value: avroSerde(recommendationReplySchema),
    });
    const impressions = driver.output(topics.impressions, {
      key: stringSerde,
      value: avroSerde(topicCatalog.impressions.value),
    });
    let sequence = 0;
    const ask = async (): Promise<RecommendationReply> => {
      const request: RecommendationRequest = {
        requestId: `r${String(++sequence)}`,
        userId: 'u1',
        region: 'eu',
        surface: 'HOME_FEED',
        count: 10,
        requestTime: now,
        context: null,
      };
      await requests.pipe(request.userId, request, {
        timestamp: now,
        headers: {
          [requestHeaders.correlationId]: request.requestId,
          [requestHeaders.replyTo]: replyTopic,
        },
      });
      const answered = await replies.readValues();
      const last = answered[answered.length - 1];
      assert.ok(last !== undefined, 'the request got a reply');
      return last;
    };

    const modelled = await ask();
    assert.equal(modelled.rankingMode, 'MODEL');
    assert.equal(modelled.degraded, false);
    assert.equal(modelled.items.length, 10);
    assert.match(modelled.modelVersion, new RegExp(`mmoe-${opened.version}$`));
    // The reply's click probabilities are at the positions shown (clickAt), so the order is
    // read from the scores: the objective at position 0, best first (MMR at λ = 1 keeps them).
    for (const [i, item] of modelled.items.entries()) {
      assert.ok(
        item.predictedClick !== null && item.predictedClick >= 0 && item.predictedClick <= 1,
      );
      assert.ok(item.predictedWatchSeconds !== null && item.predictedWatchSeconds >= 0);
      assert.ok(i === 0 || item.score <= (modelled.items[i - 1]?.score ?? item.score) + 1e-12);
    }
    const stages = modelled.stageMillis;
    assert.ok(stages !== null && stages.ranking > 0 && stages.total >= stages.ranking);
    const logged = (await impressions.readValues()).filter((i) => i.requestId === 'r1');
    assert.deepEqual(
      logged.map((i) => [i.videoId, i.predictedClick, i.explored]),
      modelled.items.map((item) => [item.videoId, item.predictedClick, false]),
    );

    // Rankings over budget trip the guard: the next replies are the blend.
    for (let i = 0; i < 5; i++) {
      guard.record(5_000);
    }
    assert.deepEqual(
      switches.map((s) => s.to),
      ['SIMPLIFIED'],
    );
    for (let probe = 0; probe < 3; probe++) {
      const simplified = await ask(); // the first request after each second probes
      assert.equal(simplified.rankingMode, 'SIMPLIFIED');
      assert.ok(simplified.items.every((item) => item.predictedClick === null));
      // The probe runs beside the reply: wait for it to report, then a second passes.
      for (let tries = 0; guard.probing; tries++) {
        assert.ok(tries < 200, 'the probe reported');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      clock += 1_000;
    }
    assert.equal(guard.mode, 'MODEL');
    assert.deepEqual(
      switches.map((s) => s.to),
      ['SIMPLIFIED', 'MODEL'],
    );
    assert.equal((await ask()).rankingMode, 'MODEL');
  } finally {
    await driver?.close();
    await ranker?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
