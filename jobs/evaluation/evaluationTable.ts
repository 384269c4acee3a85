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
  options: { metrics: readonly MetricSpec[]; bootstrap?: BootstrapOptions | undefined },
): Map<string, ConfidenceInterval> {
  return new Map(
    options.metrics.map((m) => [
      m.name,
      bootstrapMean(metricValues(result.perUser, m.name), options.bootstrap),
    ]),
  );
}

/**
 * Catalogue coverage at K: the share of the catalogue's `catalogueSize` items that appear in at
 * least one user's first `k` items. One number over all users (no interval).
 */
export function coverageAtK(
  perUser: readonly UserMetrics[],
  options: { k: number; catalogueSize: number },
): number {
  const shown = new Set<number>();
  for (const user of perUser) {
    for (const item of user.items.slice(0, options.k)) {
      shown.add(item);
    }
  }
  return shown.size / options.catalogueSize;
}

/** Options of {@link formatEvaluationTable}. */
export interface EvaluationTableOptions {
  readonly metrics: readonly MetricSpec[];
  readonly bootstrap?: BootstrapOptions;
  /** Name of the recommender the paired differences are taken against; default the first. */
  readonly reference?: string;
  /** With it, a coverage@10 column (share of this many catalogue items shown in a top 10). */
  readonly catalogueSize?: number;
  /** Paired differences besides those against the reference: `[a, b]` gives a row `a − b`. */
  readonly pairs?: readonly (readonly [string, string])[];
}

/**
 * The offline table: one row per recommender, `mean [lower, upper]` per metric (95 %
 * percentile bootstrap over users), and, when there are two or more recommenders, one row per
 * other recommender with its paired difference to the reference (`options.reference`, by
 * default the first), then one per entry of `options.pairs`. Every recommender must have been evaluated on the same users in the same
 * order. With `catalogueSize`, a last column gives coverage@10 (coverageAtK; a difference row
 * gives the difference of coverages, without an interval).
 *
 * @example
 * ```text
 * recommender    users  recall@10                 recall@50                 ndcg@10
 * most-popular     412  0.0580 [0.0479, 0.0686]   ...
 * ```
 */
export function formatEvaluationTable(
  results: readonly RecommenderResult[],
  options: EvaluationTableOptions,
): string {
  const baseline =
    options.reference === undefined
      ? results[0]
      : results.find((r) => r.name === options.reference);
  if (options.reference !== undefined && baseline === undefined) {
    throw new RangeError(`no recommender named ${options.reference} to compare with`);
  }
  const { catalogueSize } = options;
  const coverage = (result: RecommenderResult): number =>
    catalogueSize === undefined ? NaN : coverageAtK(result.perUser, { k: 10, catalogueSize });
  const coverageCell = (value: number): string[] =>
    catalogueSize === undefined ? [] : [(value < 0 ? '' : ' ') + value.toFixed(4)];
  const rows: string[][] = [
    [
      'recommender',
      'users',
      ...options.metrics.map((m) => m.name),
      ...(catalogueSize === undefined ? [] : ['coverage@10']),
    ],
  ];
  for (const result of results) {
    const summary = summarize(result, options);
    rows.push([
      result.name,
      String(result.perUser.length),
      ...options.metrics.map((m) => formatCi(summary.get(m.name))),
      ...coverageCell(coverage(result)),
    ]);
  }
  const pairs: [RecommenderResult, RecommenderResult][] = [];
  for (const result of results) {
    if (baseline !== undefined && result !== baseline) {
      pairs.push([result, baseline]);
    }
  }
  for (const [a, b] of options.pairs ?? []) {
    const first = results.find((r) => r.name === a);
    const second = results.find((r) => r.name === b);
    if (first === undefined || second === undefined) {
      throw new RangeError(`no recommender named ${first === undefined ? a : b} to compare`);
    }
    pairs.push([first, second]);
  }
  for (const [result, other] of pairs) {
    requireSameUsers(other, result);
    rows.push([
      `${result.name} − ${other.name}`,
      String(result.perUser.length),
      ...options.metrics.map((m) =>
        formatCi(
          bootstrapPairedDifference(
            metricValues(result.perUser, m.name),
            metricValues(other.perUser, m.name),
            options.bootstrap,
          ),
        ),
      ),
      ...coverageCell(coverage(result) - coverage(other)),
    ]);
  }
  return alignColumns(rows, { rightAligned: [1] });
}

/** Rows of cells as text columns, padded to the widest cell; `rightAligned` columns on the right. */
export function alignColumns(
  rows: readonly (readonly string[])[],
  options: { rightAligned: readonly number[] },
): string {
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((r) => (r[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          options.rightAligned.includes(column)
            ? cell.padStart(widths?.[column] ?? 0)
            : cell.padEnd(widths?.[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `mean [lower, upper]`, four decimals, a space where a minus sign would be. */
export function formatCi(ci: ConfidenceInterval | undefined): string {
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
