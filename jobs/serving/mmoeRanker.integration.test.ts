import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import * as ort from 'onnxruntime-node';

import {
  defaultObjective,
  objectiveScore,
  type RankingCandidate,
} from '../../pipelines/recommender/ranking.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { trainerPython } from '../cli/trainCommand.js';
import { itemDenseEncoder, UserTowerEncoder } from '../embeddings/modelInputs.js';
import type { TwoTowerVocabulary } from '../embeddings/twoTowerModel.js';
import { dayMs } from '../training/exampleFiles.js';
import { MmoeRanker } from './mmoeRanker.js';
import { calibrationOf, type OutputCalibration } from './outputCalibration.js';
import { day0, emptyFeatures, featuresOf, trainTinyMmoe } from './tinyMmoe.js';

/**
 * The MMoE ranker with a real model: a tiny one trained by `reelstream train`'s code path (one
 * epoch, generated-style labels: clicks and watch times, shown positions), loaded by
 * {@link MmoeRanker}, asked for four users' candidates at once. Each answer must equal the model
 * run alone on that request's rows in onnxruntime-node (position 0, the manifest's calibration
 * applied) within 1e-5, though the four went through the pool as fewer batches than requests;
 * the verdicts must be the objective of those outputs. Skips without the trainer's Python.
 */

interface Manifest {
  readonly config: { readonly history: number };
  readonly userDenseFeatures: readonly string[];
  readonly itemDenseFeatures: readonly string[];
  readonly inputs: readonly { name: string; dtype: string; shape: (string | number)[] }[];
  readonly outputs: readonly { name: string }[];
  readonly calibration?: Record<string, OutputCalibration>;
  readonly positionLogitOffsets?: Record<string, number[]>;
}

test('MMoE ranker: one batch per request (merged across requests), equal to the model run alone, calibrated, the objective', async (t) => {
  const found = trainerPython();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mmoe-ranker-'));
  let ranker: MmoeRanker | undefined;
  let session: ort.InferenceSession | undefined;
  try {
    const modelDir = await trainTinyMmoe(dir);
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as Manifest;
    const vocabulary = JSON.parse(
      readFileSync(join(modelDir, 'vocabulary.json'), 'utf8'),
    ) as TwoTowerVocabulary;
    const outputs = manifest.outputs.map((o) => o.name);
    assert.ok(outputs.includes('click_probability'), outputs.join(', '));
    assert.ok(outputs.includes('watch_seconds'), outputs.join(', '));
    assert.ok(manifest.inputs.some((i) => i.name === 'position'));

    // A window long enough that the four requests share batches on a loaded machine.
    const opened = await MmoeRanker.open({ modelDir, windowMs: 20 });
    ranker = opened;
    const candidates: RankingCandidate[] = [
      ...Array.from({ length: 30 }, (_, i) => ({
        videoId: `v${String(i)}`,
        durationMs: 15_000 + i * 1_000,
      })),
      { videoId: 'never-seen' }, // no duration, not in the vocabulary
    ];
    const at = day0 + 5 * dayMs;
    const asks = ['u1', 'u4', 'u7', 'stranger'].map((userId, i) => {
      const user = featuresOf(userId, i === 3 ? [] : ['v1', 'v8', 'v15'].slice(i), at);
      const request: RecommendationRequest = {
        requestId: `q${String(i)}`,
        userId,
        region: 'eu-west',
        surface: 'HOME_FEED',
        count: 10,
        requestTime: at,
        context: null,
      };
      return { user, request };
    });
    const users = asks.map(({ user, request }) => user ?? emptyFeatures(request.userId));
    const answers = await Promise.all(
      asks.map(({ request }, i) =>
        opened.score({ candidates, user: users[i] ?? emptyFeatures(''), request }),
      ),
    );
    const stats = opened.stats();
    assert.equal(stats.blocks, 4);
    assert.ok(stats.batches < 4, `the four requests ran as ${stats.batches} batches`);

    // The model alone on each request's rows: onnxruntime-node here, position 0.
    session = await ort.InferenceSession.create(join(modelDir, 'mmoe.onnx'));
    const encoder = new UserTowerEncoder({
      vocabulary,
      historyLength: manifest.config.history,
      userDenseFeatures: manifest.userDenseFeatures,
    });
    const itemIndex = new Map(vocabulary.items.map((id, i) => [id, i + 1]));
    const itemDense = itemDenseEncoder(manifest.itemDenseFeatures);
    for (const [i, { request }] of asks.entries()) {
      const row = encoder.row(request.userId, users[i] ?? null, request.requestTime);
      const n = candidates.length;
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of manifest.inputs) {
        const width = input.shape.length > 1 ? Number(input.shape[1]) : 1;
        const values: number[] = candidates.flatMap((c) => {
          switch (input.name) {
            case 'user':
            case 'history':
            case 'user_dense':
              return row[input.name].map(Number);
            case 'item':
              return [itemIndex.get(c.videoId) ?? 0];
            case 'item_dense':
              return itemDense.map((f) => f({ durationMs: c.durationMs ?? 0 }));
            case 'position':
              return [0];
            default:
              throw new Error(`input ${input.name}`);
          }
        });
        const dims = input.shape.length > 1 ? [n, width] : [n];
        feeds[input.name] =
          input.dtype === 'int64'
            ? new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), dims)
            : new ort.Tensor('float32', Float32Array.from(values), dims);
      }
      const alone = await session.run(feeds);
      const answer = answers[i];
      assert.ok(answer !== undefined);
      for (const name of outputs) {
        const spec = manifest.calibration?.[name];
        const calibrate = spec === undefined ? (x: number) => x : calibrationOf(name, spec);
        const expected = [...(alone[name]?.data as Float32Array)].map(calibrate);
        const actual: readonly number[] = answer[name] ?? [];
        assert.equal(actual.length, n);
        expected.forEach((value, k) =>
          assert.ok(
            Math.abs((actual[k] ?? NaN) - value) < 1e-5,
            `${request.userId} ${name}[${k}]: ${actual[k]} vs ${value}`,
          ),
        );
      }
      // The verdicts: the click output as the click, watch_seconds as the watch, the objective.
      const verdicts = await opened.rank({
        candidates,
        user: users[i] ?? emptyFeatures(''),
        request,
        objective: defaultObjective,
      });
      // At a shown position k: sigmoid(logit(p0) + offset[k]), then the calibration.
      const offsets = manifest.positionLogitOffsets?.['click_probability'];
      const clickSpec = manifest.calibration?.['click_probability'];
      const calibrateClick =
        clickSpec === undefined ? (x: number) => x : calibrationOf('click_probability', clickSpec);
      const rawClick = [...(alone['click_probability']?.data as Float32Array)];
      verdicts.forEach((verdict, k) => {
        assert.equal(verdict.predictedClick, answer['click_probability']?.[k]);
        assert.equal(verdict.predictedWatchSeconds, answer['watch_seconds']?.[k]);
        assert.equal(verdict.score, objectiveScore(verdict, defaultObjective));
        assert.ok(offsets !== undefined && verdict.clickAt !== undefined, 'position offsets');
        const p0 = rawClick[k] ?? NaN;
        const logit = Math.log(p0 / (1 - p0));
        for (const position of [0, 3, 50]) {
          const offset = offsets[Math.min(position, offsets.length - 1)] ?? NaN;
          const expected = calibrateClick(1 / (1 + Math.exp(-(logit + offset))));
          assert.ok(
            Math.abs(verdict.clickAt(position) - expected) < 1e-6,
            `clickAt(${position}) ${verdict.clickAt(position)} vs ${expected}`,
          );
        }
      });
    }
    t.diagnostic(
      `outputs ${outputs.join(', ')}; calibrated ${Object.keys(manifest.calibration ?? {}).join(', ') || 'none'}; ${stats.blocks} requests in ${stats.batches} batch(es)`,
    );
  } finally {
    await ranker?.close();
    await session?.release();
    rmSync(dir, { recursive: true, force: true });
  }
});
