import {
  bootstrapMean,
  bootstrapPairedDifference,
  type BootstrapOptions,
  type ConfidenceInterval,
} from './bootstrap.js';
import { metricValues, type MetricSpec, type UserMetrics } from './userMetrics.js';

/** One recommender's per-user results, by name. */
export interface RecommenderResult {
  readonly name: string;
  readonly perUser: readonly UserMetrics[];
}

/** Mean and bootstrap CI of every metric for one recommender. */
export function summarize(
  result: RecommenderResult,
  options: { metrics: readonly MetricSpec[]; bootstrap?: BootstrapOptions },
): Map<string, ConfidenceInterval> {
  return new Map(
    options.metrics.map((m) => [
      m.name,
      bootstrapMean(metricValues(result.perUser, m.name), options.bootstrap),
    ]),
  );
}

/**
 * The offline table: one row per recommender, `mean [lower, upper]` per metric (95 %
 * percentile bootstrap over users), and, when there are two or more recommenders, one row per
 * further recommender with its paired difference to the first. Every recommender must have been
 * evaluated on the same users in the same order.
 *
 * @example
 * ```text
 * recommender    users  recall@10                 recall@50                 ndcg@10
 * most-popular     412  0.0580 [0.0479, 0.0686]   ...
 * ```
 */
export function formatEvaluationTable(
  results: readonly RecommenderResult[],
  options: { metrics: readonly MetricSpec[]; bootstrap?: BootstrapOptions },
): string {
  const [baseline] = results;
  const rows: string[][] = [['recommender', 'users', ...options.metrics.map((m) => m.name)]];
  for (const result of results) {
    const summary = summarize(result, options);
    rows.push([
      result.name,
      String(result.perUser.length),
      ...options.metrics.map((m) => formatCi(summary.get(m.name))),
    ]);
  }
  for (const result of results.slice(1)) {
    if (baseline === undefined) {
      break;
    }
    requireSameUsers(baseline, result);
    rows.push([
      `${result.name} − ${baseline.name}`,
      String(result.perUser.length),
      ...options.metrics.map((m) =>
        formatCi(
          bootstrapPairedDifference(
            metricValues(result.perUser, m.name),
            metricValues(baseline.perUser, m.name),
            options.bootstrap,
          ),
        ),
      ),
    ]);
  }
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((r) => (r[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 1 ? cell.padStart(widths?.[column] ?? 0) : cell.padEnd(widths?.[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatCi(ci: ConfidenceInterval | undefined): string {
  if (ci === undefined) {
    return '';
  }
  const f = (x: number): string => (x < 0 ? '' : ' ') + x.toFixed(4);
  return `${f(ci.mean)} [${f(ci.lower).trim()}, ${f(ci.upper).trim()}]`;
}

function requireSameUsers(a: RecommenderResult, b: RecommenderResult): void {
  const same =
    a.perUser.length === b.perUser.length &&
    a.perUser.every((u, i) => u.userId === b.perUser[i]?.userId);
  if (!same) {
    throw new RangeError(`${a.name} and ${b.name} were not evaluated on the same users`);
  }
}
