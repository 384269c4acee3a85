import { maskSeen, ndcgAtK, recallAtK } from './rankingMetrics.js';
import type { Recommender } from './recommender.js';
import type { EvaluationUser } from './timeSplit.js';

/** One metric: its printed name, what it computes and its cut-off K. */
export interface MetricSpec {
  readonly name: string;
  readonly kind: 'recall' | 'ndcg';
  readonly k: number;
}

/** Recall@10, Recall@50 and NDCG@10: the offline table of issue 6 (coverage@10 is a column of
 * the table, evaluationTable.ts, since it is over all users, not per user). */
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
  /** The masked list itself, best first (what coverage and the run-to-run comparison read). */
  readonly items: readonly number[];
  /**
   * Seen (training) items the recommender returned, masked afterwards. Every baseline filters
   * them before ranking, so 0 for those; for the serving path it is a finding.
   */
  readonly seenReturned: number;
}

/** One user's list as the recommender returned it, seen items masked afterwards. */
export interface UserList {
  readonly userId: number;
  /** The list without seen items and repeats (maskSeen), best first. */
  readonly items: readonly number[];
  /** How many of the returned items were seen (training) items of the user. */
  readonly seenReturned: number;
}

/** The largest K of the metrics: how many items to ask every recommender for. */
export function listLength(metrics: readonly MetricSpec[]): number {
  return Math.max(...metrics.map((m) => m.k));
}

/**
 * Asks the recommender for every user (one at a time, in the given order) for `count` movies,
 * and masks the user's seen movies afterwards, counting them: the masking is a safety net (every
 * recommender is asked to leave seen items out before ranking, recommender.ts), and what it
 * catches is reported, not hidden.
 */
export async function collectLists(
  recommend: Recommender,
  options: { users: readonly Pick<EvaluationUser, 'userId' | 'seen'>[]; count: number },
): Promise<UserList[]> {
  const lists: UserList[] = [];
  for (const user of options.users) {
    const returned = await recommend({
      userId: user.userId,
      count: options.count,
      seen: user.seen,
    });
    const items = maskSeen(returned, user.seen);
    lists.push({
      userId: user.userId,
      items,
      seenReturned: returned.filter((item) => user.seen.has(item)).length,
    });
  }
  return lists;
}

/**
 * The metrics of every user from lists collected once (collectLists), so the same lists can be
 * judged under several relevance rules (any rating, 4 stars or more) and user groups. Throws
 * when a user has no list.
 */
export function scoreLists(
  lists: readonly UserList[],
  options: { users: readonly EvaluationUser[]; metrics?: readonly MetricSpec[] },
): UserMetrics[] {
  const metrics = options.metrics ?? defaultMetrics;
  const byUser = new Map(lists.map((list) => [list.userId, list]));
  return options.users.map((user) => {
    const list = byUser.get(user.userId);
    if (list === undefined) {
      throw new RangeError(`no list for user ${user.userId}`);
    }
    return { ...metricsOf(list.items, { user, metrics }), seenReturned: list.seenReturned };
  });
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
  const lists = await collectLists(recommend, { users: options.users, count: listLength(metrics) });
  return scoreLists(lists, { users: options.users, metrics });
}

/** The metrics of one user's masked ranking (no seen items returned: see scoreLists). */
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
  return {
    userId: user.userId,
    relevant: user.relevant.size,
    returned: ranked.length,
    values,
    items: ranked,
    seenReturned: 0,
  };
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
