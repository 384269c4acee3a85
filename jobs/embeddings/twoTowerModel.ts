import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { TowerInput } from '../../operators/vectors/towerPool.js';

/** The parts of the trainer's two-tower `manifest.json` (jobs/training/trainer/export.py) read here. */
export interface TwoTowerManifest {
  readonly model: string;
  readonly version: string;
  readonly embeddingDimension: number;
  readonly config: { readonly history: number };
  readonly userDenseFeatures: readonly string[];
  readonly itemDenseFeatures: readonly string[];
  readonly towers: readonly {
    readonly file: string;
    readonly inputs: readonly {
      readonly name: string;
      readonly dtype: string;
      readonly shape: readonly (string | number)[];
    }[];
    readonly outputs: readonly { readonly name: string }[];
  }[];
}

/** The trainer's `vocabulary.json`: index i + 1 is the i-th id; 0 is unknown (and padding). */
export interface TwoTowerVocabulary {
  readonly users: readonly string[];
  readonly items: readonly string[];
  readonly categories: readonly string[];
}

/** One tower of a two-tower model folder, ready for a `TowerPool`. */
export interface TwoTowerModelPart {
  readonly manifest: TwoTowerManifest;
  readonly vocabulary: TwoTowerVocabulary;
  /** The tower's ONNX file. */
  readonly modelFile: string;
  /** Its inputs as the manifest gives them: `[batch]` is rank 1, `[batch, width]` rank 2. */
  readonly inputs: readonly TowerInput[];
}

/**
 * Reads the trainer's two-tower output folder (manifest.json, vocabulary.json) for the tower
 * whose output is `output`; throws, naming the folder, when it is not a two-tower model or has
 * no such tower.
 */
export function readTwoTowerModel(
  modelDir: string,
  output: 'item_vector' | 'user_vector',
): TwoTowerModelPart {
  const manifest = JSON.parse(
    readFileSync(join(modelDir, 'manifest.json'), 'utf8'),
  ) as TwoTowerManifest;
  if (manifest.model !== 'two-tower') {
    throw new Error(`${modelDir} holds a ${manifest.model} model, not a two-tower one`);
  }
  const tower = manifest.towers.find((t) => t.outputs.some((o) => o.name === output));
  if (tower === undefined) {
    throw new Error(`${modelDir}/manifest.json names no tower with output ${output}`);
  }
  const vocabulary = JSON.parse(
    readFileSync(join(modelDir, 'vocabulary.json'), 'utf8'),
  ) as TwoTowerVocabulary;
  const inputs: TowerInput[] = tower.inputs.map((input) => ({
    name: input.name,
    dtype: input.dtype === 'int64' ? 'int64' : 'float32',
    width: input.shape.length > 1 ? Number(input.shape[1]) : 1,
    rank: input.shape.length > 1 ? 2 : 1,
  }));
  return { manifest, vocabulary, modelFile: join(modelDir, tower.file), inputs };
}
