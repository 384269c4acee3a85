import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import * as ort from 'onnxruntime-node';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { train, trainerPython } from '../cli/trainCommand.js';
import { dayMs, PartitionedExampleWriter } from './exampleFiles.js';

const day0 = Date.UTC(1997, 8, 20);
const categories = ['action', 'comedy', 'drama'];

/** A small, varied data set: 12 users rating 30 videos over 4 days, with their history. */
function tinyExamples(): TrainingExample[] {
  const examples: TrainingExample[] = [];
  const watched = new Map<string, string[]>();
  for (let i = 0; i < 240; i++) {
    const user = `u${String(i % 12)}`;
    const video = `v${String((i * 7 + (i % 5)) % 30)}`;
    const at = day0 + Math.floor((i * 4 * dayMs) / 240) + (i % 12) * 1_000;
    const rating = 1 + ((i * 3 + (i % 7)) % 5);
    const history = watched.get(user) ?? [];
    const features: UserFeatures | null =
      history.length === 0
        ? null
        : {
            userId: user,
            lastWatched: history.slice(0, 50).map((videoId, k) => ({
              videoId,
              watchedMs: 10_000,
              watchRatio: 0.5,
              eventTime: at - (k + 1) * 1_000,
            })),
            categoryAffinity: Object.fromEntries(
              categories.map((c, k) => [c, { score: ((i + k) % 4) / 4, updatedTime: at - 1_000 }]),
            ),
            creatorAffinity: {},
            affinityHalfLifeMs: 3 * dayMs,
            averageWatchRatio: 0.5,
            watchCount: history.length,
            recentNegatives: [],
            updatedTime: at - 1_000,
          };
    const durationMs = 20_000 + ((i * 13) % 5) * 20_000;
    // Feedback-window labels: a click on most 3★-and-up rows, watched only when clicked.
    const clicked = rating >= 3 && i % 4 !== 0;
    examples.push({
      userId: user,
      videoId: video,
      requestId: `r${String(i)}`,
      position: i % 10,
      exampleTime: at,
      labelTime: at + 30_000,
      watchedMs: clicked ? Math.round((durationMs * rating) / 5) : 0,
      videoDurationMs: durationMs,
      clicked,
      rating,
      positive: rating >= 4,
      disliked: rating <= 2,
      features,
    });
    watched.set(user, [video, ...history]);
  }
  return examples;
}

interface TensorJson {
  readonly dtype: 'int64' | 'float32';
  readonly shape: number[];
  readonly data: number[];
}

interface Reference {
  readonly models: {
    readonly file: string;
    readonly inputs: Record<string, TensorJson>;
    readonly outputs: Record<string, TensorJson>;
  }[];
}

function toTensor(t: TensorJson): ort.Tensor {
  return t.dtype === 'int64'
    ? new ort.Tensor('int64', BigInt64Array.from(t.data.map((x) => BigInt(x))), t.shape)
    : new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
}

function firstRowOf(t: TensorJson): TensorJson {
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { dtype: t.dtype, shape: [1, ...t.shape.slice(1)], data: t.data.slice(0, width) };
}

test('reelstream train: both models train from Arrow examples, and their ONNX files give PyTorch’s outputs in onnxruntime-node', async (t) => {
  const found = trainerPython();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'trainer-'));
  try {
    const writer = new PartitionedExampleWriter(join(dir, 'examples'));
    writer.add(tinyExamples());
    assert.equal(writer.close().length, 4);
    const lines: string[] = [];
    const result = await train(
      {
        examples: join(dir, 'examples'),
        out: join(dir, 'models'),
        epochs: 1,
        model: 'both',
        extraArgs: [
          ...['--dim', '8', '--hidden', '16', '--experts', '2', '--batch-size', '32'],
          ...['--validation-fraction', '0.25', '--test-fraction', '0.25'],
        ],
      },
      (line) => lines.push(line),
    );
    assert.ok(result.ok, result.ok ? '' : `${result.reason}\n${lines.join('\n')}`);
    assert.ok(
      lines.some((l) => l.startsWith('two-tower epoch 1/1')),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => l.startsWith('mmoe epoch 1/1')));
    const twoTower = result.summary.models['two-tower'];
    assert.equal(typeof twoTower?.metrics['validationRecall@10'], 'number');
    assert.ok(result.summary.trainingSeconds > 0);

    for (const name of ['two-tower', 'mmoe']) {
      const modelDir = join(dir, 'models', name);
      const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as {
        version: string;
        embeddingDimension: number;
        dataWindow: { from: string; to: string };
        metrics: Record<string, unknown>;
      };
      assert.equal(manifest.version, result.summary.version);
      assert.equal(manifest.embeddingDimension, 8);
      assert.equal(manifest.dataWindow.from, '1997-09-20T00:00:00+00:00');
      assert.ok('trainLoss' in manifest.metrics);
      const reference = JSON.parse(
        readFileSync(join(modelDir, 'reference.json'), 'utf8'),
      ) as Reference;
      for (const model of reference.models) {
        const session = await ort.InferenceSession.create(join(modelDir, model.file));
        const feeds = Object.fromEntries(
          Object.entries(model.inputs).map(([input, tensor]) => [input, toTensor(tensor)]),
        );
        const outputs = await session.run(feeds);
        for (const [output, expected] of Object.entries(model.outputs)) {
          const got = outputs[output];
          assert.ok(got !== undefined, `${model.file} has no output ${output}`);
          assert.deepEqual([...got.dims], expected.shape, `${model.file} ${output} shape`);
          const values = got.data as Float32Array;
          const worst = Math.max(...expected.data.map((x, i) => Math.abs((values[i] ?? NaN) - x)));
          assert.ok(worst <= 1e-5, `${model.file} ${output}: differs from PyTorch by ${worst}`);
          t.diagnostic(`${name}/${model.file} ${output}: max |ONNX − PyTorch| = ${worst}`);
        }
        // The batch axis is dynamic: the first row alone gives the first row's outputs.
        const firstRow = await session.run(
          Object.fromEntries(
            Object.entries(model.inputs).map(([input, tensor]) => [
              input,
              toTensor(firstRowOf(tensor)),
            ]),
          ),
        );
        for (const [output, expected] of Object.entries(model.outputs)) {
          const one = firstRowOf(expected).data;
          const values = firstRow[output]?.data as Float32Array;
          assert.ok(
            one.every((x, i) => Math.abs((values[i] ?? NaN) - x) <= 1e-5),
            `${output} batch 1`,
          );
        }
        await session.release();
      }
    }

    // The ranker: click and watch-time tasks from the feedback window's labels, a position
    // input, calibration fitted on validation in the serving contract's form, a test report.
    const mmoe = JSON.parse(readFileSync(join(dir, 'models', 'mmoe', 'manifest.json'), 'utf8')) as {
      inputs: { name: string; dtype: string; shape: unknown[] }[];
      outputs: { name: string }[];
      calibration: Record<string, Record<string, unknown>>;
      positionLogitOffsets: Record<string, number[]>;
      evaluation: Record<string, unknown>;
    };
    const offsets = mmoe.positionLogitOffsets['click_probability'] ?? [];
    assert.equal(offsets.length, 64);
    assert.equal(offsets[0], 0, 'position 0 against itself');
    assert.deepEqual(
      mmoe.inputs.find((i) => i.name === 'position'),
      { name: 'position', dtype: 'int64', shape: ['batch'] },
    );
    const outputs = mmoe.outputs.map((o) => o.name);
    assert.ok(
      outputs.includes('click_probability') && outputs.includes('watch_seconds'),
      `${outputs.join()}`,
    );
    const click = mmoe.calibration['click_probability'];
    if (click?.['method'] === 'platt') {
      assert.equal(typeof click['a'], 'number');
      assert.equal(typeof click['b'], 'number');
    } else {
      assert.equal(click?.['method'], 'isotonic');
      const thresholds = click['thresholds'] as number[];
      const values = click['values'] as number[];
      assert.equal(thresholds.length, values.length);
      assert.ok(thresholds.every((x, i) => i === 0 || x > (thresholds[i - 1] ?? x)));
      assert.ok(values.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v >= (values[i - 1] ?? v))));
    }
    assert.equal(mmoe.evaluation['eceBins'], 15);
    for (const key of ['click:prAuc', 'click:ece', 'click:eceCalibrated', 'watch_seconds:rmse']) {
      assert.equal(typeof mmoe.evaluation[key], 'number', key);
    }
    const png = String(mmoe.evaluation['click:reliability']);
    if (png.startsWith('not written')) {
      t.diagnostic(`reliability diagram: ${png}`);
    } else {
      assert.deepEqual([...readFileSync(png).subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reelstream train --sampled-negatives: MovieLens-like examples (no clicks) train the click and watch-time tasks; examples with clicks are refused', async (t) => {
  const found = trainerPython();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'trainer-negatives-'));
  try {
    const withClicks = tinyExamples();
    const rated = withClicks.map((e) => ({
      ...e,
      clicked: null,
      watchedMs: Math.round(((e.videoDurationMs ?? 0) * (e.rating ?? 0)) / 5),
    }));
    for (const [name, examples] of [
      ['rated', rated],
      ['clicked', withClicks],
    ] as const) {
      const writer = new PartitionedExampleWriter(join(dir, name));
      writer.add(examples);
      writer.close();
    }
    const run = async (
      examples: string,
    ): Promise<{ result: Awaited<ReturnType<typeof train>>; lines: string[] }> => {
      const lines: string[] = [];
      const result = await train(
        {
          examples: join(dir, examples),
          out: join(dir, `models-${examples}`),
          epochs: 1,
          model: 'mmoe',
          extraArgs: [
            ...['--dim', '8', '--hidden', '16', '--experts', '2', '--batch-size', '32'],
            ...['--validation-fraction', '0.25', '--sampled-negatives', '3'],
          ],
        },
        (line) => lines.push(line),
      );
      return { result, lines };
    };

    const { result, lines } = await run('rated');
    assert.ok(result.ok, result.ok ? '' : `${result.reason}\n${lines.join('\n')}`);
    // 3 drawn per example, less those of the first examples (nothing in the catalogue before
    // them) and the few that clash with what the user watched.
    const counts = lines
      .map((l) => /3 sampled non-clicks per example: (\d+) training rows \((\d+) sampled\)/.exec(l))
      .find((m) => m !== null);
    assert.ok(counts !== undefined, lines.join('\n'));
    const rows = Number(counts[1]);
    const sampled = Number(counts[2]);
    const examples = rows - sampled;
    assert.equal(examples, 180, 'every training example kept, as a click');
    assert.ok(sampled > 2.5 * examples && sampled <= 3 * examples, `${sampled} sampled`);
    const manifest = JSON.parse(
      readFileSync(join(dir, 'models-rated', 'mmoe', 'manifest.json'), 'utf8'),
    ) as { outputs: { name: string }[]; metrics: Record<string, unknown> };
    const outputs = manifest.outputs.map((o) => o.name);
    for (const output of ['click_probability', 'watch_seconds', 'positive_probability']) {
      assert.ok(outputs.includes(output), `${output} in ${outputs.join()}`);
    }
    // The held-out rows have sampled non-clicks too, so the click task has an AUC.
    assert.equal(typeof manifest.metrics['validationAuc:click'], 'number');

    const refused = await run('clicked');
    assert.equal(refused.result.ok, false);
    assert.ok(
      refused.lines.some((l) => l.includes('these examples have clicks of their own')),
      refused.lines.join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
