import { bootstrapClusteredMean, type ClusteredValue } from './bootstrap.js';
import { alignColumns, formatCi } from './evaluationTable.js';
import type { RunLists } from './listRecord.js';
import type { EvaluationUser } from './timeSplit.js';
import { defaultMetrics, metricValues, scoreLists } from './userMetrics.js';

/** What one cut-off's evaluation leaves for pooling: its lists, users and best baseline. */
export interface CutoffRun {
  readonly cutoffMs: number;
  readonly lists: RunLists;
  /** Users with a test rating of an unseen movie. */
  readonly users: readonly EvaluationUser[];
  /** Users with such a rating of 4★ or more. */
  readonly liked: readonly EvaluationUser[];
  /** The best baseline on this cut-off's validation window. */
  readonly reference: string;
}

/** In a pair, the best baseline of each cut-off (which baseline it is may differ by cut-off). */
export const bestBaseline = 'best baseline';

/**
 * Paired differences pooled over several cut-offs, for the users with training history (the
 * users the personalised path and its fallback can differ on): each (cut-off, user) with test
 * items is one unit, `a − b` per metric its value, and the 95% interval resamples **users**
 * (bootstrapClusteredMean), since a user evaluated at two cut-offs is not two independent
 * draws. A pair whose rows a cut-off lacks is left out for that cut-off, and says so.
 *
 * Why pool: one cut-off of MovieLens-100K has about 90 test users with history, too few to tell
 * a gain of 0.01 NDCG@10 from noise; consecutive test windows give more users, each judged by
 * the same protocol on its own cut-off (nothing chosen on any test window).
 */
export function formatPooledTables(
  runs: readonly CutoffRun[],
  pairs: readonly (readonly [string, string])[],
): string {
  const sections: [string, (run: CutoffRun) => readonly EvaluationUser[]][] = [
    ['relevant: any test rating', (run) => run.users],
    ['relevant: test ratings of 4★ or more', (run) => run.liked],
  ];
  const days = runs.map((run) => new Date(run.cutoffMs).toISOString().slice(0, 10));
  const out: string[] = [
    `pooled over ${runs.length} cut-offs (${days.join(', ')}): users with training history at each; one unit per (cut-off, user); 95% bootstrap intervals resampling users (1,000 resamples, seed 42); "${bestBaseline}": each cut-off's own`,
  ];
  for (const [title, groupOf] of sections) {
    const rows: string[][] = [
      ['paired difference', 'units', 'users', ...defaultMetrics.map((m) => m.name)],
    ];
    const notes: string[] = [];
    for (const [a, b] of pairs) {
      const units = new Map<string, ClusteredValue[]>(defaultMetrics.map((m) => [m.name, []]));
      const missing: string[] = [];
      for (const [index, run] of runs.entries()) {
        const first = run.lists.get(a);
        const second = run.lists.get(b === bestBaseline ? run.reference : b);
        if (first === undefined || second === undefined) {
          missing.push(days[index] ?? '?');
          continue;
        }
        const group = groupOf(run).filter((user) => user.seen.size > 0);
        const scoredA = scoreLists(first, { users: group, metrics: defaultMetrics });
        const scoredB = scoreLists(second, { users: group, metrics: defaultMetrics });
        for (const metric of defaultMetrics) {
          const valuesA = metricValues(scoredA, metric.name);
          const valuesB = metricValues(scoredB, metric.name);
          units.get(metric.name)?.push(
            ...group.map((user, i) => ({
              cluster: user.userId,
              value: (valuesA[i] ?? 0) - (valuesB[i] ?? 0),
            })),
          );
        }
      }
      if (missing.length > 0) {
        notes.push(`  ${a} − ${b}: not in the runs of ${missing.join(', ')}`);
      }
      // Every metric has the same units: the first one's give the counts.
      const counted = units.get(defaultMetrics[0]?.name ?? '') ?? [];
      if (counted.length === 0) {
        continue;
      }
      rows.push([
        `${a} − ${b}`,
        String(counted.length),
        String(new Set(counted.map((unit) => unit.cluster)).size),
        ...defaultMetrics.map((m) => formatCi(bootstrapClusteredMean(units.get(m.name) ?? []))),
      ]);
    }
    out.push('', `${title}:`, alignColumns(rows, { rightAligned: [1, 2] }), ...notes);
  }
  return out.join('\n');
}
