import { formatEvaluationTable, type RecommenderResult } from './evaluationTable.js';
import type { EvaluationUser } from './timeSplit.js';
import { defaultMetrics, scoreLists, type UserList } from './userMetrics.js';

/**
 * The four tables of `reelstream evaluate`: relevance any rating / 4★ or more, over all users
 * and over users with training history, from lists collected once per recommender; every
 * difference is paired, against `reference` (the best baseline on the validation window), and
 * for each of `pairs`.
 */
export function formatTables(
  lists: ReadonlyMap<string, readonly UserList[]>,
  context: {
    users: readonly EvaluationUser[];
    liked: readonly EvaluationUser[];
    reference: string;
    catalogueSize: number;
    /** More paired differences, `[a, b]` for `a − b`; a pair with a row missing is left out. */
    pairs?: readonly (readonly [string, string])[];
  },
): string {
  const withHistory = (group: readonly EvaluationUser[]): EvaluationUser[] =>
    group.filter((u) => u.seen.size > 0);
  const sections: [string, readonly EvaluationUser[]][] = [
    ['relevant: any test rating; all users with test items', context.users],
    ['relevant: any test rating; users with training history', withHistory(context.users)],
    ['relevant: test ratings of 4★ or more; all users with one', context.liked],
    [
      'relevant: test ratings of 4★ or more; users with training history',
      withHistory(context.liked),
    ],
  ];
  const out: string[] = [
    `95% bootstrap intervals over users (1,000 resamples, seed 42); differences are paired, against ${context.reference}, the best baseline on the validation window; coverage@10: share of the ${context.catalogueSize} movies in some user's top 10`,
  ];
  for (const [title, group] of sections) {
    const results: RecommenderResult[] = [...lists].map(([name, userLists]) => ({
      name,
      perUser: scoreLists(userLists, { users: group, metrics: defaultMetrics }),
    }));
    out.push(
      '',
      `${title} (${group.length}):`,
      formatEvaluationTable(results, {
        metrics: defaultMetrics,
        reference: context.reference,
        catalogueSize: context.catalogueSize,
        pairs: (context.pairs ?? []).filter(([a, b]) => lists.has(a) && lists.has(b)),
      }),
    );
  }
  return out.join('\n');
}
