/**
 * The calibration (prediction-to-label) monitor: the click probabilities the serving path
 * predicted, joined with what users then did, per tumbling window of impression time, and
 * whether the two have drifted apart (calibrationDrift.ts's rule).
 *
 * Steps:
 * 1. `calibration-labels`: impressions that carry `predictedClick` and clicks, both keyed by
 *    video on their topics (co-partitioned: no repartition), through the feedback window
 *    operator (feedbackWindow.ts): each impression is labelled once its feedback window has
 *    closed, clicked or not (a click on the same request id and video id within the window).
 *    Waiting for the window is what keeps a click still to come from counting as a miss, which
 *    would read as an over-predicting model on every window.
 * 2. Each labelled impression counts in scope `all` and in `model:<modelVersion>` (a new model
 *    drifting shows apart from the old one still serving).
 * 3. `calibration-partials` and `calibration-combine` (calibrationWindows.ts): tumbling windows
 *    of (count, clicks, Σp, Σp(1 − p)), summed in each labelling task, then combined through
 *    `<applicationId>-calibration-partials-all-repartition` once every partition closed the
 *    window. Labels come out stamped with the time their window closed (impression time +
 *    feedback window), so windows are cut on that time and shifted back by the feedback window:
 *    a record's window is exactly its impressions' window.
 * 4. Each window read by the drift rule and written to `monitoring.calibration`, keyed by scope.
 */
import {
  avroSerde,
  jsonSerde,
  stringSerde,
  type Pipeline,
  type Stream,
} from '../operators/index.js';
import type { CalibrationWindow } from '../schemas/generated/calibrationWindow.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import { topicCatalog } from '../schemas/topics.js';
import { defaultDriftRule, readDrift, type DriftRule } from './calibrationDrift.js';
import {
  combinedWindowsStore,
  CombineWindowsOperator,
  partialWindowsStore,
  PartialWindowsOperator,
  type PartialWindow,
  type ScopedLabel,
} from './calibrationWindows.js';
import { feedbackStore, FeedbackWindowOperator, type FeedbackEvent } from './feedbackWindow.js';

export interface CalibrationMonitorOptions {
  /** Windows of impression time. Default 1 minute. */
  readonly windowMs?: number;
  /** A click this long after its impression still counts. Default 10 minutes. */
  readonly feedbackWindowMs?: number;
  /**
   * How long after a window's end (plus the feedback window) labels may still come in: tasks'
   * timers fire as their own stream time advances, so partitions a little behind label a little
   * late. Default 1 minute.
   */
  readonly graceMs?: number;
  readonly rule?: DriftRule;
  /**
   * Partitions of the impressions and clicks topics: a window is complete once that many
   * labelling tasks have closed it (calibrationWindows.ts). Default the catalogue's.
   */
  readonly inputPartitions?: number;
  /** Topics: the catalogue's by default (tests use their own). */
  readonly topics?: {
    readonly impressions: string;
    readonly clicks: string;
    readonly output: string;
  };
  /** Sees every window written (the job's Prometheus gauges). */
  readonly onWindow?: (window: CalibrationWindow) => void;
}

export const calibrationMonitorDefaults = {
  windowMs: 60_000,
  feedbackWindowMs: 10 * 60_000,
  graceMs: 60_000,
} as const;

/** Serdes of the output topic (scope keys, Avro values). */
export const calibrationWindowSerdes = {
  key: stringSerde,
  value: avroSerde(topicCatalog.calibration.value),
} as const;

/** The scope of all impressions with a prediction. */
export const allScope = 'all';

/** Adds the monitor to `pipeline` (see the file comment); returns the windows as a stream. */
export function calibrationMonitor(
  pipeline: Pipeline,
  options: CalibrationMonitorOptions = {},
): Stream<string, CalibrationWindow> {
  const windowMs = options.windowMs ?? calibrationMonitorDefaults.windowMs;
  const feedbackWindowMs = options.feedbackWindowMs ?? calibrationMonitorDefaults.feedbackWindowMs;
  const graceMs = options.graceMs ?? calibrationMonitorDefaults.graceMs;
  const rule = options.rule ?? defaultDriftRule;
  const inputPartitions = options.inputPartitions ?? topicCatalog.impressions.partitions;
  const names = options.topics ?? {
    impressions: topicCatalog.impressions.name,
    clicks: topicCatalog.clicks.name,
    output: topicCatalog.calibration.name,
  };
  const impressions: Stream<string, Impression> = pipeline.source(
    names.impressions,
    { key: stringSerde, value: avroSerde(topicCatalog.impressions.value) },
    { name: 'calibration-impressions' },
  );
  const clicks: Stream<string, Click> = pipeline.source(
    names.clicks,
    { key: stringSerde, value: avroSerde(topicCatalog.clicks.value) },
    { name: 'calibration-clicks' },
  );
  const store = feedbackStore('calibration-labels');
  const labelled = impressions
    // Lists no model ranked carry no prediction: nothing to calibrate.
    .filter((impression) => impression.predictedClick !== null, {
      name: 'calibration-predicted',
    })
    .mapValues(
      (impression): FeedbackEvent => ({
        kind: 'impression',
        snapshot: { impression, features: null },
      }),
      { name: 'calibration-impression-events' },
    )
    .merge(
      clicks.mapValues((click): FeedbackEvent => ({ kind: 'click', click }), {
        name: 'calibration-click-events',
      }),
      { name: 'calibration-events' },
    )
    .process(() => new FeedbackWindowOperator(store, feedbackWindowMs), {
      name: 'calibration-labels',
      stores: [store],
      timers: { key: stringSerde },
    });
  const partials = partialWindowsStore('calibration-partials');
  const combined = combinedWindowsStore('calibration-combine');
  const windows = labelled
    .mapValues(
      (label): ScopedLabel => ({
        scopes: [allScope, `model:${label.snapshot.impression.modelVersion}`],
        predicted: label.snapshot.impression.predictedClick ?? 0,
        clicked: label.clicked,
      }),
      { name: 'calibration-scopes' },
    )
    .process(() => new PartialWindowsOperator(partials, { windowMs, graceMs }), {
      name: 'calibration-partials',
      stores: [partials],
      timers: { key: stringSerde },
    })
    .repartition({
      name: 'calibration-partials-all',
      serdes: { key: stringSerde, value: jsonSerde<PartialWindow>() },
    })
    .process(() => new CombineWindowsOperator(combined, inputPartitions), {
      name: 'calibration-combine',
      stores: [combined],
    })
    .mapValues(
      ({ windowStart, scope, sums }): CalibrationWindow => {
        const reading = readDrift(sums, rule);
        return {
          scope,
          // Cut on the labels' time (impression + feedback window): shifted back to impressions.
          windowStart: windowStart - feedbackWindowMs,
          windowEnd: windowStart + windowMs - feedbackWindowMs,
          impressions: sums.impressions,
          clicks: sums.clicks,
          predictedCtr: reading.predictedCtr,
          actualCtr: reading.actualCtr,
          zScore: reading.zScore,
          relativeGap: reading.relativeGap,
          drifting: reading.drifting,
          verdict: reading.verdict,
          feedbackWindowMs,
        };
      },
      { name: 'calibration-verdicts' },
    );
  const observed =
    options.onWindow === undefined
      ? windows
      : windows.peek((record) => options.onWindow?.(record.value), {
          name: 'calibration-observed',
        });
  observed.to(names.output, calibrationWindowSerdes, { name: 'calibration-out' });
  return observed;
}
