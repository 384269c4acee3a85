import { clamp, logNormal, type Random } from './distributions.js';

/** A video of the simulated catalogue. */
export interface SimVideo {
  readonly id: string;
  readonly creatorId: string;
  readonly durationMs: number;
  /** Index into {@link Population.categories}. */
  readonly categoryIndex: number;
  readonly tags: readonly string[];
  readonly region: string;
  readonly uploadTime: number;
  /** Latent quality in (0, 1): how much any viewer enjoys it, beyond their interests. */
  readonly quality: number;
}

/** A simulated viewer. */
export interface SimUser {
  readonly id: string;
  readonly region: string;
  /** Interest per category index, in [0, 1]; the favourite category has 1. */
  readonly interests: Float64Array;
  /** Creators the user likes beyond the category (a few). */
  readonly favouriteCreators: ReadonlySet<string>;
  /** Relative request rate (heavy users open the app more often). */
  readonly activity: number;
}

/** A creator who uploads new videos. */
export interface SimCreator {
  readonly id: string;
  readonly region: string;
  /** The category most of the creator's videos are in. */
  readonly homeCategory: number;
  /** Relative upload rate. */
  readonly productivity: number;
}

/** The users, catalogue and creators a simulation starts from. */
export interface Population {
  /** `built-in` or `kuairand:<dir>`. */
  readonly source: string;
  readonly categories: readonly string[];
  /** Share of the catalogue per category index (sums to 1): where uploads go. */
  readonly categoryWeights: readonly number[];
  readonly regions: readonly string[];
  readonly creators: readonly SimCreator[];
  readonly users: readonly SimUser[];
  readonly videos: readonly SimVideo[];
}

/** Regions of the built-in population, with their share of users. */
export const defaultRegions: readonly { readonly name: string; readonly weight: number }[] = [
  { name: 'us-east', weight: 0.22 },
  { name: 'us-west', weight: 0.12 },
  { name: 'eu-west', weight: 0.2 },
  { name: 'eu-east', weight: 0.1 },
  { name: 'latam', weight: 0.14 },
  { name: 'apac', weight: 0.22 },
];

/**
 * Short-video durations: 85 % log-normal around 25 s (5–95 %: about 11–57 s), 15 % a long tail
 * around 2.5 minutes, up to 20 minutes.
 */
export function sampleDurationMs(random: Random): number {
  const seconds =
    random() < 0.85
      ? clamp(logNormal(random, 25, 0.5), 5, 90)
      : clamp(logNormal(random, 150, 0.7), 60, 1_200);
  return Math.round(seconds * 1000);
}

/** Latent quality in (0, 1), bell-shaped around 0.5 (mean of three uniforms). */
export function sampleQuality(random: Random): number {
  return (random() + random() + random()) / 3;
}

/**
 * An interest profile over `weights.length` categories: three favourite categories drawn by
 * category popularity (interest 1, about 0.6, about 0.35), a little interest in everything else.
 */
export function interestProfile(random: Random, weights: readonly number[]): Float64Array {
  const interests = new Float64Array(weights.length);
  for (let i = 0; i < interests.length; i++) {
    interests[i] = 0.03 + 0.05 * random();
  }
  const levels = [1, 0.55 + 0.1 * random(), 0.3 + 0.1 * random()];
  const chosen = new Set<number>();
  for (const level of levels) {
    if (chosen.size >= weights.length) {
      break;
    }
    let index = drawIndex(random, weights);
    for (let tries = 0; chosen.has(index) && tries < 20; tries++) {
      index = drawIndex(random, weights);
    }
    if (!chosen.has(index)) {
      chosen.add(index);
      interests[index] = level;
    }
  }
  return interests;
}

/** An index drawn by weight from a small static list (linear scan). */
export function drawIndex(random: Random, weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i] ?? 0;
  }
  let target = random() * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i] ?? 0;
    if (target < 0) {
      return i;
    }
  }
  return weights.length - 1;
}

/** The categories a user cares most about, best first. */
export function topCategories(user: SimUser, count: number): number[] {
  return [...user.interests.keys()]
    .sort((a, b) => (user.interests[b] ?? 0) - (user.interests[a] ?? 0))
    .slice(0, count);
}

/**
 * Up to `count` favourite creators for a user: creators whose home category is among the
 * user's three favourites, drawn by productivity.
 */
export function favouriteCreatorsFor(
  random: Random,
  user: { readonly interests: Float64Array },
  byCategory: ReadonlyMap<number, readonly SimCreator[]>,
): Set<string> {
  const favourites = new Set<string>();
  const top = [...user.interests.keys()]
    .sort((a, b) => (user.interests[b] ?? 0) - (user.interests[a] ?? 0))
    .slice(0, 3);
  for (const category of top) {
    const creators = byCategory.get(category) ?? [];
    if (creators.length === 0) {
      continue;
    }
    const weights = creators.map((c) => c.productivity);
    for (let i = 0; i < 2; i++) {
      const creator = creators[drawIndex(random, weights)];
      if (creator !== undefined) {
        favourites.add(creator.id);
      }
    }
  }
  return favourites;
}

/** Creators grouped by home category. */
export function creatorsByCategory(
  creators: readonly SimCreator[],
): Map<number, readonly SimCreator[]> {
  const groups = new Map<number, SimCreator[]>();
  for (const creator of creators) {
    const group = groups.get(creator.homeCategory) ?? [];
    group.push(creator);
    groups.set(creator.homeCategory, group);
  }
  return groups;
}
