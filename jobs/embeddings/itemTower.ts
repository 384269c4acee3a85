import { TowerPool, type TowerPoolOptions } from '../../operators/vectors/towerPool.js';
import type { ItemTower } from '../../pipelines/itemEmbeddings.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { itemDenseEncoder } from './modelInputs.js';
import { readTwoTowerModel, type TwoTowerManifest } from './twoTowerModel.js';

export interface ItemTowerOptions extends Pick<
  TowerPoolOptions,
  'workers' | 'threadsPerWorker' | 'windowMs' | 'maxBatch'
> {
  /** The trainer's `two-tower` output folder: manifest.json, vocabulary.json, item_tower.onnx. */
  readonly modelDir: string;
}

/**
 * A trained two-tower model's item tower, as the embedding operator runs it: onnxruntime-node
 * in a {@link TowerPool} (worker threads, micro-batched), inputs encoded as the trainer
 * encoded them (the vocabulary's index of the video id, 0 when unknown; the dense features).
 */
export class OnnxItemTower implements ItemTower {
  readonly version: string;
  readonly dimension: number;
  readonly #pool: TowerPool;
  readonly #index: ReadonlyMap<string, number>;
  readonly #dense: readonly ((video: VideoUpload) => number)[];

  private constructor(
    manifest: TwoTowerManifest,
    index: ReadonlyMap<string, number>,
    pool: TowerPool,
  ) {
    this.version = manifest.version;
    this.dimension = manifest.embeddingDimension;
    this.#index = index;
    this.#pool = pool;
    this.#dense = itemDenseEncoder(manifest.itemDenseFeatures);
  }

  static async load(options: ItemTowerOptions): Promise<OnnxItemTower> {
    const { manifest, vocabulary, modelFile, inputs } = readTwoTowerModel(
      options.modelDir,
      'item_vector',
    );
    // Position i holds the id of index i + 1; index 0 is unknown.
    const index = new Map(vocabulary.items.map((id, i) => [id, i + 1]));
    const pool = await TowerPool.open({
      modelFile,
      inputs,
      output: 'item_vector',
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.threadsPerWorker === undefined
        ? {}
        : { threadsPerWorker: options.threadsPerWorker }),
      ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }),
      ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    });
    try {
      return new OnnxItemTower(manifest, index, pool);
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  /** The tower's inputs for `video`: `item` (vocabulary index) and `item_dense`. */
  row(video: VideoUpload): { item: bigint[]; item_dense: number[] } {
    return {
      item: [BigInt(this.#index.get(video.videoId) ?? 0)],
      item_dense: this.#dense.map((feature) => feature(video)),
    };
  }

  inputsOf(video: VideoUpload): string {
    const { item, item_dense } = this.row(video);
    return `${String(item[0])} ${item_dense.join(' ')}`;
  }

  embed(video: VideoUpload): Promise<Float32Array> {
    return this.#pool.run(this.row(video));
  }

  stats(): ReturnType<TowerPool['stats']> {
    return this.#pool.stats();
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
