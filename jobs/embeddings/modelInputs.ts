import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import type { TwoTowerVocabulary } from './twoTowerModel.js';

/*
 * The models' inputs as the trainer encodes them (`jobs/training/trainer/examples.py`), in one
 * place: the two-tower user tower, the item tower and the MMoE ranker read the same
 * vocabulary.json and the same user and item columns, so serving must encode them alike for
 * all three. A second copy would drift from the trainer without any error.
 */

/**
 * The dense user and context features before the category affinities, in the trainer's column
 * order (`BASE_USER_DENSE` in `jobs/training/trainer/examples.py`). The manifest's
 * `userDenseFeatures` must be these followed by `category_affinity:<c>` for each category of
 * the vocabulary, or the model is refused: a feature computed here in another order, or one
 * not computed here at all, would give the tower wrong inputs without any error.
 */
export const baseUserDenseFeatures: readonly string[] = [
  'log1p_watch_count',
  'average_watch_ratio',
  'has_features',
  'hour_sin',
  'hour_cos',
  'weekday_sin',
  'weekday_cos',
];

/** One row of the user tower's inputs: `user` (1), `history` (historyLength), `user_dense`. */
export interface UserTowerRow {
  readonly user: readonly bigint[];
  readonly history: readonly bigint[];
  readonly user_dense: readonly number[];
  readonly [input: string]: readonly bigint[] | readonly number[];
}

/**
 * A user's features → the user tower's inputs, exactly as the trainer encodes a training
 * example (`encode` in `jobs/training/trainer/examples.py`), where the example's columns are
 * those `jobs/training/arrowExamples.ts` writes from the same {@link UserFeatures}:
 *
 * - `user`: the user's vocabulary index, 0 when unknown;
 * - `history`: the vocabulary indices of `lastWatched` (most recent first), ids not in the
 *   vocabulary dropped (not kept as 0), the first `historyLength`, padded with 0;
 * - `user_dense`: log1p(watchCount), averageWatchRatio, has-features (1 when the user has a
 *   features record, else 0 with the two before it 0), the hour of day and weekday of the
 *   request (UTC) as sin/cos on their circles, then per vocabulary category its affinity
 *   score as stored (`score`, not decayed to the request's time: the trainer reads it so),
 *   0 for categories the user has none of.
 *
 * `atMs` is the request's time: the example's `exampleTime` in training.
 */
export class UserTowerEncoder {
  readonly historyLength: number;
  readonly denseWidth: number;
  readonly #users: ReadonlyMap<string, number>;
  readonly #items: ReadonlyMap<string, number>;
  readonly #slots: ReadonlyMap<string, number>;

  constructor(options: {
    readonly vocabulary: TwoTowerVocabulary;
    readonly historyLength: number;
    /** The manifest's `userDenseFeatures`, checked against what is computed here. */
    readonly userDenseFeatures: readonly string[];
  }) {
    const { vocabulary } = options;
    const expected = [
      ...baseUserDenseFeatures,
      ...vocabulary.categories.map((c) => `category_affinity:${c}`),
    ];
    if (JSON.stringify(expected) !== JSON.stringify(options.userDenseFeatures)) {
      throw new Error(
        `the user tower's dense features (${options.userDenseFeatures.join(', ')}) are not the ones computed here (${expected.join(', ')})`,
      );
    }
    if (!Number.isInteger(options.historyLength) || options.historyLength < 1) {
      throw new Error(`history length ${options.historyLength} is not a positive integer`);
    }
    this.historyLength = options.historyLength;
    this.denseWidth = expected.length;
    this.#users = new Map(vocabulary.users.map((id, i) => [id, i + 1]));
    this.#items = new Map(vocabulary.items.map((id, i) => [id, i + 1]));
    this.#slots = new Map(vocabulary.categories.map((c, i) => [c, i]));
  }

  /** The user's vocabulary index; 0 when the model has never seen the user. */
  userIndex(userId: string): number {
    return this.#users.get(userId) ?? 0;
  }

  row(userId: string, features: UserFeatures | null, atMs: number): UserTowerRow {
    const history: bigint[] = [];
    for (const watched of features?.lastWatched ?? []) {
      const index = this.#items.get(watched.videoId);
      if (index !== undefined) {
        history.push(BigInt(index));
        if (history.length === this.historyLength) {
          break;
        }
      }
    }
    while (history.length < this.historyLength) {
      history.push(0n);
    }
    // examples.py: time_ms // 3_600_000 % 24, and (time_ms // 86_400_000 + 4) % 7.
    const hours = Math.floor(atMs / 3_600_000) % 24;
    const weekdays = (Math.floor(atMs / 86_400_000) + 4) % 7;
    const dense = [
      Math.log1p(finiteOrZero(features?.watchCount)),
      finiteOrZero(features?.averageWatchRatio),
      features === null ? 0 : 1,
      Math.sin((2 * Math.PI * hours) / 24),
      Math.cos((2 * Math.PI * hours) / 24),
      Math.sin((2 * Math.PI * weekdays) / 7),
      Math.cos((2 * Math.PI * weekdays) / 7),
      ...new Array<number>(this.#slots.size).fill(0),
    ];
    for (const [category, affinity] of Object.entries(features?.categoryAffinity ?? {})) {
      const slot = this.#slots.get(category);
      if (slot !== undefined) {
        dense[baseUserDenseFeatures.length + slot] = affinity.score;
      }
    }
    // The trainer's arrays are float32: each value rounded as a float32 tensor rounds it.
    return {
      user: [BigInt(this.userIndex(userId))],
      history,
      user_dense: [...Float32Array.from(dense)],
    };
  }
}

/** np.nan_to_num of the trainer: a missing or NaN value is 0. */
function finiteOrZero(value: number | undefined): number {
  return value === undefined || Number.isNaN(value) ? 0 : value;
}

/**
 * The items' dense features, by the names the trainer writes in `itemDenseFeatures`, computed
 * as `jobs/training/trainer/examples.py` computes them (its `ITEM_DENSE`); a model asking for
 * a feature not listed here is refused when it is loaded, not fed a wrong value.
 */
export const itemDenseFeatures: Readonly<
  Record<string, (video: Pick<VideoUpload, 'durationMs'>) => number>
> = {
  log1p_duration_s: (video) => Math.log1p(Math.max(video.durationMs, 0) / 1000) / 5,
};

/** The functions computing `names` (a manifest's `itemDenseFeatures`); throws on an unknown one. */
export function itemDenseEncoder(
  names: readonly string[],
): readonly ((video: Pick<VideoUpload, 'durationMs'>) => number)[] {
  return names.map((name) => {
    const feature = itemDenseFeatures[name];
    if (feature === undefined) {
      throw new Error(`the model needs the item feature ${name}, which is not computed here`);
    }
    return feature;
  });
}
