import { maskSeen, ndcgAtK, recallAtK } from './rankingMetrics.js';
import type { Recommender } from './recommender.js';
import type { EvaluationUser } from './timeSplit.js';

/** One metric: its printed name, what it computes and its cut-off K. */
export interface MetricSpec {
  readonly name: string;
  readonly kind: 'recall' | 'ndcg';
  readonly k: number;
}

/** Recall@10, Recall@50 and NDCG@10: the offline table of issue 6. */
export const defaultMetrics: readonly MetricSpec[] = [
  { name: 'recall@10', kind: 'recall', k: 10 },
  { name: 'recall@50', kind: 'recall', k: 50 },
  { name: 'ndcg@10', kind: 'ndcg', k: 10 },
];

/** One user's metric values. */
export interface UserMetrics {
  readonly userId: number;
  /** Relevant (test) items of the user. */
  readonly relevant: number;
  /** Items the recommender returned after masking seen ones. */
  readonly returned: number;
  /** Value per metric name. */
  readonly values: ReadonlyMap<string, number>;
}

/**
 * Asks the recommender for every user (one at a time, in the given order) for as many movies
 * as the largest K, masks the user's seen movies, and computes each metric. Only users with
 * relevant items can be passed (evaluationUsers gives exactly those).
 */
export async function evaluateRecommender(
  recommend: Recommender,
  options: { users: readonly EvaluationUser[]; metrics?: readonly MetricSpec[] },
): Promise<UserMetrics[]> {
  const metrics = options.metrics ?? defaultMetrics;
  const count = Math.max(...metrics.map((m) => m.k));
  const results: UserMetrics[] = [];
  for (const user of options.users) {
    const ranked = maskSeen(
      await recommend({ userId: user.userId, count, seen: user.seen }),
      user.seen,
    );
    results.push(metricsOf(ranked, { user, metrics }));
  }
  return results;
}

/** The metrics of one user's masked ranking. */
export function metricsOf(
  ranked: readonly number[],
  context: { user: EvaluationUser; metrics: readonly MetricSpec[] },
): UserMetrics {
  const { user } = context;
  const values = new Map<string, number>();
  for (const metric of context.metrics) {
    const value =
      metric.kind === 'recall'
        ? recallAtK(ranked, user.relevant, metric.k)
        : ndcgAtK(ranked, user.relevant, metric.k);
    values.set(metric.name, value);
  }
  return { userId: user.userId, relevant: user.relevant.size, returned: ranked.length, values };
}

/** One metric's per-user values, in the users' order (what the bootstrap resamples). */
export function metricValues(perUser: readonly UserMetrics[], metric: string): number[] {
  return perUser.map((u) => {
    const value = u.values.get(metric);
    if (value === undefined) {
      throw new RangeError(`user ${u.userId} has no ${metric}`);
    }
    return value;
  });
}
