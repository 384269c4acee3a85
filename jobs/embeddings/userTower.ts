import {
  TowerPool,
  type TowerPoolOptions,
  type TowerPoolStats,
} from '../../operators/vectors/towerPool.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { UserTowerEncoder } from './modelInputs.js';
import { readTwoTowerModel, type TwoTowerManifest } from './twoTowerModel.js';

export type { TwoTowerVocabulary } from './twoTowerModel.js';
export { baseUserDenseFeatures, UserTowerEncoder, type UserTowerRow } from './modelInputs.js';

/** The parts of the trainer's two-tower `manifest.json` the user tower needs. */
export interface UserTowerOptions extends Pick<
  TowerPoolOptions,
  'workers' | 'threadsPerWorker' | 'maxBatch'
> {
  /** The trainer's `two-tower` output folder: manifest.json, vocabulary.json, user_tower.onnx. */
  readonly modelDir: string;
  /** How long a request's row waits for others to share its batch (default 1 ms). */
  readonly windowMs?: number;
}

/**
 * A trained two-tower model's user tower, as serving runs it: onnxruntime-node in a
 * {@link TowerPool} (worker threads, never the event loop), micro-batched over a 1 ms window
 * by default (the rows of the requests that arrive within it run as one batch), inputs from
 * {@link UserTowerEncoder}.
 */
export class OnnxUserTower {
  readonly version: string;
  readonly dimension: number;
  readonly encoder: UserTowerEncoder;
  readonly #pool: TowerPool;

  private constructor(manifest: TwoTowerManifest, encoder: UserTowerEncoder, pool: TowerPool) {
    this.version = manifest.version;
    this.dimension = manifest.embeddingDimension;
    this.encoder = encoder;
    this.#pool = pool;
  }

  static async load(options: UserTowerOptions): Promise<OnnxUserTower> {
    const { manifest, vocabulary, modelFile, inputs } = readTwoTowerModel(
      options.modelDir,
      'user_vector',
    );
    const encoder = new UserTowerEncoder({
      vocabulary,
      historyLength: manifest.config.history,
      userDenseFeatures: manifest.userDenseFeatures,
    });
    const widths: Record<string, number> = {
      user: 1,
      history: encoder.historyLength,
      user_dense: encoder.denseWidth,
    };
    for (const input of inputs) {
      if (widths[input.name] !== input.width) {
        throw new Error(
          `user tower input ${input.name} has width ${input.width}; the encoder gives ${String(widths[input.name])}`,
        );
      }
    }
    const pool = await TowerPool.open({
      modelFile,
      inputs,
      output: 'user_vector',
      windowMs: options.windowMs ?? 1,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.threadsPerWorker === undefined
        ? {}
        : { threadsPerWorker: options.threadsPerWorker }),
      ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    });
    return new OnnxUserTower(manifest, encoder, pool);
  }

  /** The user's vector at `atMs` (the request's time), computed in a batch with its neighbours. */
  embed(userId: string, features: UserFeatures | null, atMs: number): Promise<Float32Array> {
    return this.#pool.run(this.encoder.row(userId, features, atMs));
  }

  stats(): TowerPoolStats {
    return this.#pool.stats();
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
