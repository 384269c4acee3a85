import assert from 'node:assert/strict';
import { test } from 'node:test';

import type {
  RankingMode,
  RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';
import { FunnelReport } from './funnelReport.js';

function reply(mode: RankingMode, ms: number, fallback = false): RecommendationReply {
  return {
    requestId: 'r',
    userId: 'u',
    items: [
      {
        videoId: 'v',
        score: 1,
        sources: [fallback ? 'POPULAR_FALLBACK' : 'TWO_TOWER'],
        predictedClick: null,
        predictedWatchSeconds: null,
        explored: false,
      },
    ],
    degraded: fallback,
    degradedReason: null,
    rankingMode: mode,
    stageMillis: { retrieval: ms, ranking: 2 * ms, reranking: 1, total: 3 * ms + 2 },
    modelVersion: 'm',
    servedTime: 0,
  };
}

test('funnel report: per-stage percentiles, the modes, the fallbacks left out and the verdict', () => {
  const report = new FunnelReport();
  report.begin();
  // 200 replies: retrieval 1..200 ms, ranking twice that; every tenth one SIMPLIFIED.
  for (let i = 1; i <= 200; i++) {
    report.record(reply(i % 10 === 0 ? 'SIMPLIFIED' : 'MODEL', i), 3 * i + 2 + 5);
  }
  report.record(reply('BLEND', 1, true), 10);
  const text = report.summary().join('\n');
  assert.match(text, /200 personalised replies .* 1 popular-in-region fallbacks left out/);
  assert.match(text, /retrieval +P50 100\.0 \/ P99 198\.0 ms/);
  assert.match(
    text,
    /ranking +P50 200\.0 \/ P99 396\.0 ms \(MODEL replies only: P50 198\.0 \/ P99 396\.0 ms\)/,
  );
  assert.match(text, /server overhead +P50 1\.0 \/ P99 1\.0 ms/);
  assert.match(text, /Kafka and client +P50 5\.0 \/ P99 5\.0 ms/);
  assert.match(text, /end to end +P50 307\.0 \/ P99 601\.0 ms/);
  assert.match(text, /ranking modes +MODEL 180, SIMPLIFIED 20/);
  assert.match(text, /funnel P99 end to end 601\.0 ms > 200 ms: DOES NOT HOLD/);
  assert.match(text, /0s 180\/20\/0/);
  // Without the client's receive times there is no split of the way there and back.
  assert.doesNotMatch(text, /to the server/);
});

test('funnel report: Kafka and client split into the way to the server and back', () => {
  const report = new FunnelReport();
  // Served at 1,000 (wall clock); 7 ms outside the server in all, 2 of them on the way back.
  for (let i = 1; i <= 100; i++) {
    const served = { ...reply('MODEL', 1), servedTime: 1_000 };
    report.record(served, (served.stageMillis?.total ?? 0) + 7, 1_002);
  }
  const text = report.summary().join('\n');
  assert.match(text, /Kafka and client +P50 7\.0 \/ P99 7\.0 ms/);
  assert.match(text, /to the server +P50 5\.0 \/ P99 5\.0 ms/);
  assert.match(text, /back to the client +P50 2\.0 \/ P99 2\.0 ms/);
  assert.doesNotMatch(text, /to the serving job/);
  // With the serving job's arrival delays, the way there is split once more.
  const split = report
    .summary({ records: 120, kept: 100, p50Ms: 1.5, p99Ms: 4, maxMs: 9 })
    .join('\n');
  assert.match(
    split,
    /to the serving job P50 1\.5 \/ P99 4\.0 ms, max 9 ms \(.*over its last 100 of 120 requests/,
  );
});

test('funnel report: no personalised reply says so', () => {
  const report = new FunnelReport();
  report.record(reply('BLEND', 1, true), 10);
  assert.match(
    report.summary().join('\n'),
    /no personalised replies with stage times \(1 fallbacks\)/,
  );
});
