import type { CalibrationWindow } from '../../schemas/generated/calibrationWindow.js';
import { formatTable } from '../lag/textTable.js';

/**
 * What `reelstream calibration` makes of the monitor's topic: the latest windows of each scope
 * and whether the alert is on. Pure, so the command's output and exit code are tested without
 * Kafka.
 */

/** Exit codes of `reelstream calibration --alert` (docs/calibration.md), in lag's spirit. */
export const calibrationExitCodes = {
  ok: 0,
  drifting: 1,
  /** The topic has no window (yet) for the scopes asked: the monitor is not running, or new. */
  noWindows: 3,
  unreachable: 4,
  usage: 5,
} as const;

export interface CalibrationAlert {
  /** Scopes whose latest `consecutive` judged windows are all drifting. */
  readonly drifting: readonly string[];
  /** The latest judged window of each scope, scopes by name. */
  readonly latest: readonly CalibrationWindow[];
}

/** Whether the drift rule judged the window (it had the minimum impressions). */
export function judged(window: CalibrationWindow): boolean {
  return window.drifting || window.verdict.startsWith('calibrated');
}

/**
 * The alert: a scope alerts when its last `consecutive` judged windows (default 1) all drift.
 * Windows with too few impressions to judge neither raise nor clear it: a quiet minute at night
 * says nothing about the model. Waiting for two or three in a row trades minutes of delay for
 * fewer pages on a single odd window.
 */
export function calibrationAlert(
  windows: readonly CalibrationWindow[],
  consecutive = 1,
): CalibrationAlert {
  const byScope = groupByScope(windows);
  const drifting: string[] = [];
  const latest: CalibrationWindow[] = [];
  for (const [scope, all] of byScope) {
    const list = all.filter(judged);
    const last = list.slice(-consecutive);
    const newest = list[list.length - 1];
    if (newest !== undefined) {
      latest.push(newest);
    }
    if (last.length === consecutive && last.every((w) => w.drifting)) {
      drifting.push(scope);
    }
  }
  return { drifting, latest };
}

/** Windows per scope, each list by window start (a window written twice: the later record). */
export function groupByScope(
  windows: readonly CalibrationWindow[],
): Map<string, CalibrationWindow[]> {
  const byScope = new Map<string, Map<number, CalibrationWindow>>();
  for (const window of windows) {
    const scope = byScope.get(window.scope) ?? new Map<number, CalibrationWindow>();
    scope.set(window.windowStart, window);
    byScope.set(window.scope, scope);
  }
  return new Map(
    [...byScope.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([scope, starts]) => [
        scope,
        [...starts.values()].sort((a, b) => a.windowStart - b.windowStart),
      ]),
  );
}

const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;
const time = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** The table of the last `last` windows of each scope, then the alert line. */
export function calibrationReportText(
  windows: readonly CalibrationWindow[],
  options: { readonly last: number; readonly consecutive: number },
): string {
  const rows: string[][] = [];
  for (const [, list] of groupByScope(windows)) {
    for (const w of list.slice(-options.last)) {
      rows.push([
        w.scope,
        `${time(w.windowStart)} .. ${time(w.windowEnd).slice(11)}`,
        String(w.impressions),
        String(w.clicks),
        percent(w.predictedCtr),
        percent(w.actualCtr),
        `${w.relativeGap >= 0 ? '+' : ''}${(100 * w.relativeGap).toFixed(1)} %`,
        w.zScore.toFixed(2),
        w.verdict,
      ]);
    }
  }
  const alert = calibrationAlert(windows, options.consecutive);
  const state =
    alert.drifting.length === 0
      ? `ALERT: none (latest judged window of ${alert.latest.length} scope(s) not drifting)`
      : `ALERT: drifting in ${alert.drifting.join(', ')} (last ${options.consecutive} window(s))`;
  return [
    formatTable(
      [
        'scope',
        'window (UTC, impression time)',
        'impressions',
        'clicks',
        'predicted CTR',
        'actual CTR',
        'gap',
        'z',
        'verdict',
      ],
      rows,
    ),
    state,
  ].join('\n');
}
