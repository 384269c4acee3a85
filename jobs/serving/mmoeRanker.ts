import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  OnnxBatchPool,
  type ModelInput,
  type OnnxBatchPoolOptions,
  type OnnxBatchPoolStats,
} from '../../operators/vectors/onnxBatchPool.js';
import {
  objectiveScore,
  type RankedCandidate,
  type Ranker,
  type RankingInput,
} from '../../pipelines/recommender/ranking.js';
import { itemDenseEncoder, UserTowerEncoder } from '../embeddings/modelInputs.js';
import type { TwoTowerVocabulary } from '../embeddings/twoTowerModel.js';
import { calibrationOf, type OutputCalibration } from './outputCalibration.js';

/** The parts of the trainer's MMoE `manifest.json` (`train_mmoe` in train.py) read here. */
interface MmoeManifest {
  readonly model: string;
  readonly version: string;
  readonly file: string;
  readonly config: { readonly history: number };
  readonly userDenseFeatures: readonly string[];
  readonly itemDenseFeatures: readonly string[];
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly (string | number)[];
  }[];
  readonly outputs: readonly { readonly name: string }[];
  readonly calibration?: Readonly<Record<string, OutputCalibration>>;
  /**
   * Per binary output, what position k adds to the logit against position 0 (the last entry
   * for every later position): the prediction at the position a video is shown at.
   */
  readonly positionLogitOffsets?: Readonly<Record<string, readonly number[]>>;
}

export interface MmoeRankerOptions extends Pick<
  OnnxBatchPoolOptions,
  'workers' | 'threadsPerWorker' | 'windowMs' | 'maxRows'
> {
  /** The trainer's `mmoe` output folder: manifest.json, vocabulary.json, mmoe.onnx. */
  readonly modelDir: string;
}

/**
 * How the model's outputs become the objective's two predictions. The trainer's generator
 * tasks are `click` (`click_probability`) and `watch_seconds` (`watch_seconds`); a model from
 * before them (MovieLens stand-ins: `positive_probability`, `rating`, `completion_probability`)
 * still ranks: `positive_probability` stands for the click (a liked video is one the user
 * would start), and completion × the video's duration for the expected watch time (a lower
 * bound: partial watches count 0), or no watch time at all without a completion task.
 */
function readingsOf(outputs: readonly string[]): {
  click: string;
  watch: { seconds: string } | { completion: string } | undefined;
} {
  const click = ['click_probability', 'positive_probability'].find((o) => outputs.includes(o));
  if (click === undefined) {
    throw new Error(
      `the ranking model has no click output (click_probability or positive_probability): ${outputs.join(', ')}`,
    );
  }
  const watch = outputs.includes('watch_seconds')
    ? { seconds: 'watch_seconds' }
    : outputs.includes('completion_probability')
      ? { completion: 'completion_probability' }
      : undefined;
  return { click, watch };
}

/**
 * The MMoE ranker served: every merged candidate of a request is one row of one batch (the
 * user's inputs repeated, the item's own), run in onnxruntime-node in a {@link OnnxBatchPool}
 * (worker threads, requests within 1 ms merged into one run). Inputs are read from the
 * manifest and encoded as the trainer encodes them (`modelInputs.ts`, shared with the
 * two-tower user tower): `user`, `history`, `user_dense` from the user's features and the
 * request's time; `item` (vocabulary index) and `item_dense` (duration) per candidate;
 * `position`, when the model has it, 0 for every candidate: trained with the position it was
 * shown at so the model explains position bias away, served as if at the top, so candidates
 * are compared on relevance alone. Outputs with a `calibration` entry in the manifest are
 * calibrated before the objective sees them. Any other input refuses the model at load.
 */
export class MmoeRanker implements Ranker {
  readonly name = 'mmoe';
  readonly version: string;
  readonly outputs: readonly string[];
  readonly #pool: OnnxBatchPool;
  readonly #encoder: UserTowerEncoder;
  readonly #items: ReadonlyMap<string, number>;
  readonly #inputs: readonly ModelInput[];
  readonly #itemDense: readonly ((video: { durationMs: number }) => number)[];
  readonly #calibrations: ReadonlyMap<string, (value: number) => number>;
  readonly #readings: ReturnType<typeof readingsOf>;
  readonly #positionOffsets: ReadonlyMap<string, readonly number[]>;

  private constructor(parts: {
    manifest: MmoeManifest;
    vocabulary: TwoTowerVocabulary;
    inputs: readonly ModelInput[];
    pool: OnnxBatchPool;
  }) {
    const { manifest, vocabulary } = parts;
    this.version = manifest.version;
    this.outputs = manifest.outputs.map((o) => o.name);
    this.#pool = parts.pool;
    this.#inputs = parts.inputs;
    this.#encoder = new UserTowerEncoder({
      vocabulary,
      historyLength: manifest.config.history,
      userDenseFeatures: manifest.userDenseFeatures,
    });
    this.#items = new Map(vocabulary.items.map((id, i) => [id, i + 1]));
    this.#itemDense = itemDenseEncoder(manifest.itemDenseFeatures);
    this.#calibrations = new Map(
      Object.entries(manifest.calibration ?? {}).map(([output, spec]) => [
        output,
        calibrationOf(output, spec),
      ]),
    );
    this.#readings = readingsOf(this.outputs);
    this.#positionOffsets = new Map(Object.entries(manifest.positionLogitOffsets ?? {}));
    const widths: Record<string, number> = {
      user: 1,
      history: this.#encoder.historyLength,
      user_dense: this.#encoder.denseWidth,
      item: 1,
      item_dense: this.#itemDense.length,
      position: 1,
    };
    for (const input of parts.inputs) {
      if (widths[input.name] !== input.width) {
        throw new Error(
          `ranking model input ${input.name} (width ${input.width}) is not one encoded here (${Object.keys(widths).join(', ')})`,
        );
      }
    }
  }

  /** Reads the model folder and starts the pool's workers. */
  static async open(options: MmoeRankerOptions): Promise<MmoeRanker> {
    const manifest = JSON.parse(
      readFileSync(join(options.modelDir, 'manifest.json'), 'utf8'),
    ) as MmoeManifest;
    if (manifest.model !== 'mmoe') {
      throw new Error(`${options.modelDir} holds a ${manifest.model} model, not an MMoE one`);
    }
    const vocabulary = JSON.parse(
      readFileSync(join(options.modelDir, 'vocabulary.json'), 'utf8'),
    ) as TwoTowerVocabulary;
    const inputs: ModelInput[] = manifest.inputs.map((input) => ({
      name: input.name,
      dtype: input.dtype === 'int64' ? 'int64' : 'float32',
      width: input.shape.length > 1 ? Number(input.shape[1]) : 1,
      rank: input.shape.length > 1 ? 2 : 1,
    }));
    // Requests merged into one run (within 1 ms, up to 8,192 rows: about eight requests of
    // 1,000 candidates). Requests reach the serving task in bursts (a Kafka fetch hands it a
    // batch of them at once), and each run pays a fixed cost (the message to the worker, tensor
    // set-up, ONNX Runtime's per-run dispatch) that one 1,000-row run makes small but eight in
    // a row would multiply; in a queue behind one worker the eighth request would also wait for
    // seven runs. One merged run answers all of them together, so a burst costs about one
    // run's latency. The window is short because at a low request rate it is pure latency.
    const pool = await OnnxBatchPool.open({
      modelFile: join(options.modelDir, manifest.file),
      inputs,
      outputs: manifest.outputs.map((o) => o.name),
      workers: options.workers ?? 1,
      threadsPerWorker: options.threadsPerWorker ?? 1,
      windowMs: options.windowMs ?? 1,
      maxRows: options.maxRows ?? 8_192,
    });
    try {
      return new MmoeRanker({ manifest, vocabulary, inputs, pool });
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  async rank(input: RankingInput): Promise<readonly RankedCandidate[]> {
    const raw = await this.#run(input);
    const outputs = this.#calibrated(raw);
    const { click, watch } = this.#readings;
    const offsets = this.#positionOffsets.get(click);
    const calibrate = this.#calibrations.get(click) ?? ((p: number) => p);
    return input.candidates.map((candidate, i) => {
      const predictedClick = outputs[click]?.[i] ?? 0;
      const p0 = raw[click]?.[i] ?? 0;
      const seconds = Math.max(0, candidate.durationMs ?? 0) / 1000;
      const predictedWatchSeconds =
        watch === undefined
          ? 0
          : 'seconds' in watch
            ? (outputs[watch.seconds]?.[i] ?? 0)
            : (outputs[watch.completion]?.[i] ?? 0) * seconds;
      const prediction = { predictedClick, predictedWatchSeconds };
      const score = objectiveScore(prediction, input.objective);
      // Plain objects and a shared method, not spreads and a closure each: a thousand a request.
      return offsets === undefined
        ? { predictedClick, predictedWatchSeconds, score }
        : new PositionedPrediction(
            { predictedClick, predictedWatchSeconds, score },
            {
              p0,
              offsets,
              calibrate,
            },
          );
    });
  }

  /** Every output of the model for the candidates, calibrated where the manifest says so. */
  async score(
    input: Pick<RankingInput, 'candidates' | 'user' | 'request'>,
  ): Promise<Readonly<Record<string, readonly number[]>>> {
    return this.#calibrated(await this.#run(input));
  }

  #calibrated(
    raw: Readonly<Record<string, readonly number[]>>,
  ): Readonly<Record<string, readonly number[]>> {
    const out: Record<string, readonly number[]> = {};
    for (const [name, values] of Object.entries(raw)) {
      const calibrate = this.#calibrations.get(name);
      out[name] = calibrate === undefined ? values : values.map(calibrate);
    }
    return out;
  }

  /** The model's outputs for the candidates as it gives them (position 0, uncalibrated). */
  async #run(
    input: Pick<RankingInput, 'candidates' | 'user' | 'request'>,
  ): Promise<Readonly<Record<string, readonly number[]>>> {
    const rows = input.candidates.length;
    if (rows === 0) {
      return Object.fromEntries(this.outputs.map((name) => [name, []]));
    }
    const user = this.#encoder.row(input.request.userId, input.user, input.request.requestTime);
    const inputs: Record<string, BigInt64Array | Float32Array> = {};
    // Written straight into each input's tensor: a request ranks about 1,000 rows, and a
    // typed array per row and input was a fifth of the ranking stage's time on the loop.
    for (const spec of this.#inputs) {
      const width = spec.width;
      const data =
        spec.dtype === 'int64' ? new BigInt64Array(rows * width) : new Float32Array(rows * width);
      const put = (index: number, value: number | bigint): void => {
        if (data instanceof BigInt64Array) {
          data[index] = BigInt(value);
        } else {
          data[index] = Number(value);
        }
      };
      switch (spec.name) {
        case 'user':
        case 'history':
        case 'user_dense': {
          // The user's inputs once, copied into every row: a request's 1,000 rows share them.
          const once = user[spec.name];
          once.forEach((value, i) => put(i, value));
          for (let filled = width; filled < rows * width; filled *= 2) {
            data.copyWithin(filled, 0, Math.min(filled, rows * width - filled));
          }
          break;
        }
        case 'item':
          input.candidates.forEach((candidate, row) =>
            put(row * width, this.#items.get(candidate.videoId) ?? 0),
          );
          break;
        case 'item_dense':
          input.candidates.forEach((candidate, row) => {
            const video = { durationMs: candidate.durationMs ?? 0 };
            this.#itemDense.forEach((feature, i) => put(row * width + i, feature(video)));
          });
          break;
        default: // position: served at the top (see the class comment); the array is 0
      }
      inputs[spec.name] = data;
    }
    const result = await this.#pool.run({ rows, inputs });
    return Object.fromEntries(
      this.outputs.map((name) => [name, [...(result[name] ?? new Float32Array(rows))]]),
    );
  }

  stats(): OnnxBatchPoolStats {
    return this.#pool.stats();
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** sigmoid(logit(p) + offset), p kept off 0 and 1 so the logit is finite. */
function withLogitOffset(p: number, offset: number): number {
  const clamped = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return 1 / (1 + Math.exp(-(Math.log(clamped / (1 - clamped)) + offset)));
}

interface PositionTerm {
  /** The model's click probability at position 0, before calibration. */
  readonly p0: number;
  /** The logit offset of each position; the last one for every position after it. */
  readonly offsets: readonly number[];
  readonly calibrate: (p: number) => number;
}

/** A verdict whose click probability depends on the position shown (the model's position term). */
class PositionedPrediction implements RankedCandidate {
  readonly predictedClick: number;
  readonly predictedWatchSeconds: number;
  readonly score: number;
  readonly #atTop: PositionTerm;

  constructor(
    at0: { predictedClick: number; predictedWatchSeconds: number; score: number },
    atTop: PositionTerm,
  ) {
    this.predictedClick = at0.predictedClick;
    this.predictedWatchSeconds = at0.predictedWatchSeconds;
    this.score = at0.score;
    this.#atTop = atTop;
  }

  clickAt(position: number): number {
    const { p0, offsets, calibrate } = this.#atTop;
    return calibrate(withLogitOffset(p0, offsets[Math.min(position, offsets.length - 1)] ?? 0));
  }
}
