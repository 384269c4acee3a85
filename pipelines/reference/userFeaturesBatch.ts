import type { EngagementType } from '../../schemas/generated/engagement.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';

/**
 * User features as a plain batch computation over all of one user's events, written from the
 * definitions in pipelines/userFeatures.ts (not from its code): sums over every event, sorts
 * over every event. The reference the golden tests and the replay point checks compare the
 * pipeline's output with.
 */

/** One playback the definition folds in: a watch end that played, or an inactivity session. */
export interface ReferenceWatch {
  readonly videoId: string;
  readonly watchedMs: number;
  /** The player's duration; null or 0 when unknown. */
  readonly playerDurationMs: number | null;
  readonly time: number;
  /** Position in arrival order: breaks ties between items of the same video and time. */
  readonly arrival: number;
}

export interface ReferenceEngagement {
  readonly videoId: string;
  readonly creatorId: string;
  readonly type: EngagementType;
  readonly time: number;
  readonly arrival: number;
}

/** What the catalogue says about a video. */
export interface ReferenceVideo {
  readonly category: string;
  readonly creatorId: string;
  readonly durationMs: number;
}

export interface ReferenceParams {
  readonly halfLifeMs: number;
  readonly lastWatched: number;
  readonly categories: number;
  readonly creators: number;
  readonly negatives: number;
}

/** The pipeline's defaults (pipelines/userFeatures.ts). */
export const defaultReferenceParams: ReferenceParams = {
  halfLifeMs: 3 * 24 * 3_600_000,
  lastWatched: 50,
  categories: 20,
  creators: 50,
  negatives: 50,
};

const feedbackWeights: Record<EngagementType, [category: number, creator: number]> = {
  LIKE: [1, 1],
  SHARE: [2, 2],
  FOLLOW: [0, 3],
  DISLIKE: [-1, -1],
  DISMISS: [-0.5, -0.5],
};

interface Contribution {
  readonly key: string;
  readonly weight: number;
  readonly time: number;
}

/** The user's features after all the given events; undefined when none is folded in. */
export function userFeaturesBatch(
  userId: string,
  events: {
    readonly watches: readonly ReferenceWatch[];
    readonly engagements: readonly ReferenceEngagement[];
    readonly catalogue: (videoId: string) => ReferenceVideo | undefined;
    readonly params?: ReferenceParams;
  },
): UserFeatures | undefined {
  const { watches, engagements, catalogue } = events;
  const params = events.params ?? defaultReferenceParams;
  const folded = [...watches.map((w) => w.time), ...engagements.map((e) => e.time)];
  if (folded.length === 0) {
    return undefined;
  }
  const ratioOf = (watch: ReferenceWatch): number | null => {
    const catalogued = catalogue(watch.videoId)?.durationMs;
    const duration =
      watch.playerDurationMs !== null && watch.playerDurationMs > 0
        ? watch.playerDurationMs
        : catalogued !== undefined && catalogued > 0
          ? catalogued
          : null;
    return duration === null ? null : watch.watchedMs / duration;
  };
  const ratios = watches.map(ratioOf).filter((r): r is number => r !== null);
  const categories: Contribution[] = [];
  const creators: Contribution[] = [];
  for (const w of watches) {
    const v = catalogue(w.videoId);
    if (v !== undefined) {
      const weight = Math.min(ratioOf(w) ?? 0, 1) - 0.25;
      categories.push({ key: v.category, weight, time: w.time });
      creators.push({ key: v.creatorId, weight, time: w.time });
    }
  }
  for (const e of engagements) {
    const [category, creator] = feedbackWeights[e.type];
    const v = catalogue(e.videoId);
    if (v !== undefined) {
      categories.push({ key: v.category, weight: category, time: e.time });
    }
    creators.push({ key: e.creatorId, weight: creator, time: e.time });
  }
  const negatives = engagements.filter((e) => e.type === 'DISLIKE' || e.type === 'DISMISS');
  const h = params.halfLifeMs;
  return {
    userId,
    lastWatched: latestPerVideo(watches, params.lastWatched).map((w) => ({
      videoId: w.videoId,
      watchedMs: w.watchedMs,
      watchRatio: ratioOf(w) ?? 0,
      eventTime: w.time,
    })),
    categoryAffinity: decayedSums(categories, { limit: params.categories, halfLifeMs: h }),
    creatorAffinity: decayedSums(creators, { limit: params.creators, halfLifeMs: h }),
    affinityHalfLifeMs: h,
    averageWatchRatio: ratios.length === 0 ? 0 : ratios.reduce((a, b) => a + b, 0) / ratios.length,
    watchCount: ratios.length,
    recentNegatives: latestPerVideo(negatives, params.negatives).map((e) => ({
      videoId: e.videoId,
      creatorId: e.creatorId,
      type: e.type === 'DISLIKE' ? ('DISLIKE' as const) : ('DISMISS' as const),
      eventTime: e.time,
    })),
    updatedTime: Math.max(...folded),
  };
}

/** Per video the latest item (event time, then arrival), most recent first, the first `n`. */
function latestPerVideo<TItem extends { videoId: string; time: number; arrival: number }>(
  items: readonly TItem[],
  n: number,
): TItem[] {
  const newer = (a: TItem, b: TItem): number => b.time - a.time || b.arrival - a.arrival;
  const best = new Map<string, TItem>();
  for (const item of items) {
    const seen = best.get(item.videoId);
    if (seen === undefined || newer(item, seen) < 0) {
      best.set(item.videoId, item);
    }
  }
  return [...best.values()].sort(newer).slice(0, n);
}

/** Σ w · 2^(-(T - t)/h) per key, T its newest contribution; the strongest `limit` keys. */
function decayedSums(
  contributions: readonly Contribution[],
  options: { limit: number; halfLifeMs: number },
): Record<string, { score: number; updatedTime: number }> {
  const h = options.halfLifeMs;
  const byKey = new Map<string, Contribution[]>();
  for (const c of contributions) {
    if (c.weight !== 0) {
      byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
    }
  }
  const latest = Math.max(...contributions.map((c) => c.time));
  const sums = [...byKey].map(([key, mine]) => {
    const updatedTime = Math.max(...mine.map((c) => c.time));
    const score = mine.reduce((s, c) => s + c.weight * 2 ** (-(updatedTime - c.time) / h), 0);
    const now = mine.reduce((s, c) => s + c.weight * 2 ** (-(latest - c.time) / h), 0);
    return { key, value: { score, updatedTime }, strength: Math.abs(now) };
  });
  sums.sort((a, b) => b.strength - a.strength || (a.key < b.key ? -1 : 1));
  return Object.fromEntries(sums.slice(0, options.limit).map((s) => [s.key, s.value]));
}

/**
 * Where `actual` differs from `expected`: empty when equal (numbers within 1e-9 relative).
 * Affinity maps compare their key sets, each score and each update time.
 */
export function userFeaturesDifferences(actual: UserFeatures, expected: UserFeatures): string[] {
  // Plain data: the Avro reader builds records as class instances.
  const plain = JSON.parse(JSON.stringify(actual)) as UserFeatures;
  const differences: string[] = [];
  const { categoryAffinity, creatorAffinity, averageWatchRatio, ...rest } = plain;
  const {
    categoryAffinity: expectedCategories,
    creatorAffinity: expectedCreators,
    averageWatchRatio: expectedAverage,
    ...expectedRest
  } = expected;
  // Every field either side has: an extra field is a difference too.
  const fields = new Set([...Object.keys(rest), ...Object.keys(expectedRest)]);
  for (const field of fields as Set<keyof typeof expectedRest>) {
    if (JSON.stringify(rest[field]) !== JSON.stringify(expectedRest[field])) {
      differences.push(
        `${field}: ${JSON.stringify(rest[field])} != ${JSON.stringify(expectedRest[field])}`,
      );
    }
  }
  if (!close(averageWatchRatio, expectedAverage)) {
    differences.push(`averageWatchRatio: ${averageWatchRatio} != ${expectedAverage}`);
  }
  for (const [name, map, expectedMap] of [
    ['category', categoryAffinity, expectedCategories],
    ['creator', creatorAffinity, expectedCreators],
  ] as const) {
    const keys = Object.keys(map).sort();
    const expectedKeys = Object.keys(expectedMap).sort();
    if (JSON.stringify(keys) !== JSON.stringify(expectedKeys)) {
      const missing = expectedKeys.filter((k) => map[k] === undefined);
      const extra = keys.filter((k) => expectedMap[k] === undefined);
      differences.push(`${name}s: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`);
    }
    for (const [key, affinity] of Object.entries(map)) {
      const wanted = expectedMap[key];
      if (wanted === undefined) {
        continue;
      }
      if (affinity.updatedTime !== wanted.updatedTime) {
        differences.push(`${name} ${key} time: ${affinity.updatedTime} != ${wanted.updatedTime}`);
      }
      if (!close(affinity.score, wanted.score)) {
        differences.push(`${name} ${key} score: ${affinity.score} != ${wanted.score}`);
      }
    }
  }
  return differences;
}

function close(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}
