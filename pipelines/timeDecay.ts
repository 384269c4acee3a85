/**
 * Exponentially time-decayed sums, shared by the feature pipelines that weigh recent behaviour
 * more than old (user affinities, co-visitation counts).
 *
 * A decayed sum of contributions `w_i` at event times `t_i` has the value
 * `Σ w_i · 2^(-(t - t_i) / halfLifeMs)` at time `t`. It is stored as its value at one reference
 * time (`{ score, updatedTime }`, the `Affinity` record of `schemas/userFeatures.avsc`), so it
 * never needs a timer to age: a reader decays it to its own time. Adding a contribution is exact
 * whatever order the contributions arrive in: a newer one moves the reference time forward and
 * decays the old value to it, an older (late) one is decayed to the reference time before it is
 * added. So late and out-of-order events give the same sum, up to floating-point rounding, as
 * in-order ones.
 */

/** A decayed sum as of its reference time: the newest event time folded in. */
export interface DecayedValue {
  readonly score: number;
  readonly updatedTime: number;
}

/** `value` as of `time` (no later than now: decaying to an earlier time grows it). */
export function decayTo(value: DecayedValue, time: number, halfLifeMs: number): number {
  return value.score * Math.pow(2, -(time - value.updatedTime) / halfLifeMs);
}

/**
 * `previous` plus `weight` contributed at event time `time`. The reference time stays the newest
 * event time, so scores are never extrapolated into the future.
 */
export function addDecayed(
  previous: DecayedValue | undefined,
  contribution: { readonly weight: number; readonly time: number },
  halfLifeMs: number,
): DecayedValue {
  const { weight, time } = contribution;
  if (previous === undefined) {
    return { score: weight, updatedTime: time };
  }
  if (time >= previous.updatedTime) {
    return { score: decayTo(previous, time, halfLifeMs) + weight, updatedTime: time };
  }
  const late = weight * Math.pow(2, -(previous.updatedTime - time) / halfLifeMs);
  return { score: previous.score + late, updatedTime: previous.updatedTime };
}

/**
 * The `limit` entries whose decayed values are largest in magnitude, strongest first (equal
 * strengths: smaller key first). Every entry decays at the same rate, so this ranking does not
 * depend on the time it is taken at (all values are compared at the newest reference time among
 * them): bounding a map with it keeps the top `limit` by true decayed value, as long as an entry
 * it dropped does not come back (one that does starts again from its new contributions) and no
 * kept entry is weakened (contributions of opposite sign) below one it dropped.
 * Magnitude, not value, so that strong negative signals (a disliked creator) are kept too.
 */
export function strongest<TValue>(
  entries: Iterable<readonly [string, TValue]>,
  options: {
    readonly limit: number;
    readonly halfLifeMs: number;
    readonly decayed: (value: TValue) => DecayedValue;
  },
): [string, TValue][] {
  const all = [...entries].map(([key, value]) => ({ key, value, at: options.decayed(value) }));
  const now = Math.max(...all.map((e) => e.at.updatedTime));
  // Written out rather than `{ ...e, strength }`: a spread that adds a field gives every
  // object a hidden class of its own.
  return all
    .map((e) => ({
      key: e.key,
      value: e.value,
      strength: Math.abs(decayTo(e.at, now, options.halfLifeMs)),
    }))
    .sort((a, b) => b.strength - a.strength || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, options.limit)
    .map((e): [string, TValue] => [e.key, e.value]);
}

/**
 * `entries` bounded to `limit`: as they are while within it (in no particular order), else
 * the {@link strongest} `limit` of them. For maps whose readers do not care about order: ranking
 * on every update of a map that is not full was 5% of the feature job's time.
 */
export function boundedByStrength<TValue>(
  entries: ReadonlyMap<string, TValue>,
  options: Parameters<typeof strongest<TValue>>[1],
): Iterable<readonly [string, TValue]> {
  if (entries.size <= options.limit) {
    return entries;
  }
  return boundedListByStrength([...entries], {
    ...options,
    key: ([key]) => key,
    decayed: ([, value]) => options.decayed(value),
  });
}

/**
 * {@link boundedByStrength} for a list of items that carry their key. One item over the limit
 * (a new key in a full list, the usual case) drops the weakest without ranking the rest: the
 * item {@link strongest} would leave out. The result is `items` itself while within the limit.
 */
export function boundedListByStrength<TItem>(
  items: readonly TItem[],
  options: {
    readonly limit: number;
    readonly halfLifeMs: number;
    readonly key: (item: TItem) => string;
    readonly decayed: (item: TItem) => DecayedValue;
  },
): readonly TItem[] {
  if (items.length <= options.limit) {
    return items;
  }
  if (items.length > options.limit + 1) {
    const byKey = new Map(items.map((item) => [options.key(item), item]));
    return strongest(byKey, options).map(([, item]) => item);
  }
  const weakest = weakestIndex(items, options);
  return items.filter((_, index) => index !== weakest);
}

/** The index of the item {@link strongest} ranks last: the weakest, of equals the largest key. */
function weakestIndex<TItem>(
  items: readonly TItem[],
  options: Parameters<typeof boundedListByStrength<TItem>>[1],
): number {
  let now = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    now = Math.max(now, options.decayed(item).updatedTime);
  }
  let weakest = -1;
  let weakestStrength = Number.POSITIVE_INFINITY;
  let weakestKey = '';
  items.forEach((item, index) => {
    const strength = Math.abs(decayTo(options.decayed(item), now, options.halfLifeMs));
    const key = options.key(item);
    if (
      weakest < 0 ||
      strength < weakestStrength ||
      (strength === weakestStrength && key > weakestKey)
    ) {
      weakest = index;
      weakestStrength = strength;
      weakestKey = key;
    }
  });
  return weakest;
}
