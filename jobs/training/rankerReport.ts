import { formatTable } from '../lag/textTable.js';

/**
 * The ranker's offline report from its manifest (jobs/training/trainer/train.py writes
 * `evaluation`, `calibration` and `calibrationSelection`): per task on the test window, the
 * ranking quality and the calibration before and after, as `reelstream evaluate-ranker` prints
 * it. Pure, so the table is tested without the trainer.
 */

/** What the report reads of manifest.json. */
export interface RankerManifest {
  readonly dataWindow: Readonly<Record<string, string | number | null>>;
  readonly calibration?: Readonly<Record<string, { readonly method: string }>>;
  readonly calibrationSelection?: Readonly<
    Record<string, { readonly secondHalfLogLoss: Readonly<Record<string, number>> }>
  >;
  readonly evaluation?: Readonly<Record<string, number | string | null>>;
}

/** The acceptance bar of issue 23, item 1: ECE after calibration on the test window. */
export const eceTarget = 0.01;

const binaryTasks = ['click', 'completion', 'positive'] as const;
const regressionTasks = ['watch_seconds', 'rating'] as const;

export interface RankerReport {
  readonly lines: readonly string[];
  /** Reliability diagrams written, per task. */
  readonly pngs: Readonly<Record<string, string>>;
  /** The click task's ECE after calibration; null when the data has no click label. */
  readonly clickEceCalibrated: number | null;
}

export function rankerReport(manifest: RankerManifest): RankerReport {
  const e = manifest.evaluation ?? {};
  const num = (key: string): number | null => {
    const value = e[key];
    return typeof value === 'number' ? value : null;
  };
  const f = (value: number | null, digits = 4): string =>
    value === null ? '-' : value.toFixed(digits);
  const rows: string[][] = [];
  const pngs: Record<string, string> = {};
  for (const task of binaryTasks) {
    if (num(`${task}:prAuc`) === null) {
      continue;
    }
    const method = manifest.calibration?.[`${task}_probability`]?.method ?? 'none';
    rows.push([task, 'positive rate', f(num(`${task}:rate`)), '', '']);
    rows.push([
      task,
      'PR-AUC',
      f(num(`${task}:prAuc`)),
      '',
      `all scored at position 0: ${f(num(`${task}:prAucAtPosition0`))}`,
    ]);
    rows.push([task, 'ROC AUC', f(num(`${task}:auc`)), '', '']);
    rows.push([
      task,
      'mean predicted',
      f(num(`${task}:meanPredicted`)),
      f(num(`${task}:meanCalibrated`)),
      '',
    ]);
    rows.push([
      task,
      'log-loss',
      f(num(`${task}:logLoss`)),
      f(num(`${task}:logLossCalibrated`)),
      '',
    ]);
    rows.push([
      task,
      'ECE (15 equal-width bins)',
      f(num(`${task}:ece`)),
      f(num(`${task}:eceCalibrated`)),
      `calibration: ${method}`,
    ]);
    const png = e[`${task}:reliability`];
    if (typeof png === 'string') {
      pngs[task] = png;
    }
  }
  for (const task of regressionTasks) {
    const rmse = num(`${task}:rmse`);
    if (rmse !== null) {
      rows.push([
        task,
        'RMSE',
        f(rmse, 3),
        '',
        `predicting the mean: ${f(num(`${task}:rmseMeanBaseline`), 3)}`,
      ]);
    }
  }
  const window = manifest.dataWindow;
  const lines = [
    `test window: ${String(num('testExamples') ?? 0)} examples from ${String(window['testFrom'] ?? '-')}; calibration fitted on the validation window from ${String(window['validationFrom'] ?? '-')} (${String(window['validationExamples'] ?? 0)} examples)`,
    formatTable(['task', 'metric (test window)', 'model', 'calibrated', 'note'], rows),
  ];
  for (const [name, selection] of Object.entries(manifest.calibrationSelection ?? {})) {
    const scores = Object.entries(selection.secondHalfLogLoss)
      .map(([method, loss]) => `${method} ${loss.toFixed(5)}`)
      .join(', ');
    lines.push(
      `${name}: ${manifest.calibration?.[name]?.method ?? '-'} chosen by log-loss on the validation window's second half (fitted on its first half): ${scores}`,
    );
  }
  const clickEceCalibrated = num('click:eceCalibrated');
  if (clickEceCalibrated !== null) {
    lines.push(
      `click ECE after calibration ${clickEceCalibrated.toFixed(4)}: ${clickEceCalibrated <= eceTarget ? 'within' : 'NOT within'} the target ${eceTarget}`,
    );
  }
  for (const [task, png] of Object.entries(pngs)) {
    lines.push(`reliability diagram (${task}): ${png}`);
  }
  return { lines, pngs, clickEceCalibrated };
}
