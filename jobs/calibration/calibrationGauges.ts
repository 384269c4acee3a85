import { Gauge, type Registry } from 'prom-client';

import type { CalibrationWindow } from '../../schemas/generated/calibrationWindow.js';

/**
 * The monitor's latest window per scope as Prometheus gauges, so a dashboard plots predicted
 * against actual CTR and an alert rule can read `reelstream_calibration_drifting == 1` without
 * the CLI. Set as each window is written (the job's `onWindow`); a scrape reads the last one.
 */
export function calibrationGauges(registry: Registry): (window: CalibrationWindow) => void {
  const gauge = (name: string, help: string): Gauge =>
    new Gauge({ name, help, labelNames: ['scope'], registers: [registry] });
  const predicted = gauge(
    'reelstream_calibration_predicted_ctr',
    'Mean predicted click probability of the latest closed window of impressions',
  );
  const actual = gauge(
    'reelstream_calibration_actual_ctr',
    'Click-through rate of the latest closed window (clicks within the feedback window)',
  );
  const impressions = gauge(
    'reelstream_calibration_impressions',
    'Impressions with a prediction in the latest closed window',
  );
  const z = gauge(
    'reelstream_calibration_z_score',
    '(clicks - predicted clicks) / sqrt(sum p(1-p)) of the latest closed window',
  );
  const drifting = gauge(
    'reelstream_calibration_drifting',
    '1 when the latest closed window breaks the drift rule (docs/calibration.md), else 0',
  );
  const windowEnd = gauge(
    'reelstream_calibration_window_end_seconds',
    'End (impression time, Unix seconds) of the latest closed window: a stale value means no traffic or a stuck monitor',
  );
  const latest = new Map<string, number>();
  return (window) => {
    // Windows of one scope come in order, but a restart may replay one: keep the newest.
    if ((latest.get(window.scope) ?? Number.NEGATIVE_INFINITY) > window.windowStart) {
      return;
    }
    latest.set(window.scope, window.windowStart);
    const labels = { scope: window.scope };
    predicted.set(labels, window.predictedCtr);
    actual.set(labels, window.actualCtr);
    impressions.set(labels, window.impressions);
    z.set(labels, window.zScore);
    drifting.set(labels, window.drifting ? 1 : 0);
    windowEnd.set(labels, window.windowEnd / 1000);
  };
}
