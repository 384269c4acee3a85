// Generated from schemas/calibrationWindow.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** The served click predictions of one tumbling window of impression time against what users then did: predicted mean CTR vs actual CTR, and whether they have drifted apart (pipelines/calibrationMonitor.ts, docs/calibration.md). Keyed by scope; one record per scope and window, written once the window's impressions have all been labelled (feedback window closed) and the window closed. */
export interface CalibrationWindow {
  /** Which impressions: 'all' (every impression with a prediction), or 'model:<modelVersion>'. */
  readonly scope: string;
  /** First impression time in the window (inclusive), Unix epoch milliseconds UTC. */
  readonly windowStart: number;
  /** End of the window (exclusive), Unix epoch milliseconds UTC. */
  readonly windowEnd: number;
  /** Impressions in the window whose reply carried a predicted click probability. */
  readonly impressions: number;
  /** Of those, the ones clicked (same request id and video id) within the feedback window. */
  readonly clicks: number;
  /** Mean predicted click probability over the window's impressions (0 when none). */
  readonly predictedCtr: number;
  /** clicks / impressions (0 when none). */
  readonly actualCtr: number;
  /** (clicks - sum of predictions) / sqrt(sum of p(1 - p)): how many standard deviations the clicks are from what calibrated predictions would give, each impression a Bernoulli of its own probability. 0 when undefined. */
  readonly zScore: number;
  /** (actualCtr - predictedCtr) / predictedCtr; 0 when predictedCtr is 0. */
  readonly relativeGap: number;
  /** True when the window has at least the minimum impressions, |zScore| is at least the threshold and |relativeGap| at least the minimum gap: the predictions and the labels have drifted apart (alert). */
  readonly drifting: boolean;
  /** The rule's reading in words: 'drifting', 'calibrated', or why no judgement is made (e.g. too few impressions). */
  readonly verdict: string;
  /** How long after an impression a click still counted (the labels' window). */
  readonly feedbackWindowMs: number;
}

/** The Avro schema of {@link CalibrationWindow}, as registered in the schema registry. */
export const calibrationWindowSchema: AvroSchema<CalibrationWindow> = {
  name: 'reelstream.monitoring.CalibrationWindow',
  definition: {
    type: 'record',
    name: 'CalibrationWindow',
    namespace: 'reelstream.monitoring',
    doc: "The served click predictions of one tumbling window of impression time against what users then did: predicted mean CTR vs actual CTR, and whether they have drifted apart (pipelines/calibrationMonitor.ts, docs/calibration.md). Keyed by scope; one record per scope and window, written once the window's impressions have all been labelled (feedback window closed) and the window closed.",
    fields: [
      {
        name: 'scope',
        type: 'string',
        doc: "Which impressions: 'all' (every impression with a prediction), or 'model:<modelVersion>'.",
      },
      {
        name: 'windowStart',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'First impression time in the window (inclusive), Unix epoch milliseconds UTC.',
      },
      {
        name: 'windowEnd',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'End of the window (exclusive), Unix epoch milliseconds UTC.',
      },
      {
        name: 'impressions',
        type: 'long',
        doc: 'Impressions in the window whose reply carried a predicted click probability.',
      },
      {
        name: 'clicks',
        type: 'long',
        doc: 'Of those, the ones clicked (same request id and video id) within the feedback window.',
      },
      {
        name: 'predictedCtr',
        type: 'double',
        doc: "Mean predicted click probability over the window's impressions (0 when none).",
      },
      { name: 'actualCtr', type: 'double', doc: 'clicks / impressions (0 when none).' },
      {
        name: 'zScore',
        type: 'double',
        doc: '(clicks - sum of predictions) / sqrt(sum of p(1 - p)): how many standard deviations the clicks are from what calibrated predictions would give, each impression a Bernoulli of its own probability. 0 when undefined.',
      },
      {
        name: 'relativeGap',
        type: 'double',
        doc: '(actualCtr - predictedCtr) / predictedCtr; 0 when predictedCtr is 0.',
      },
      {
        name: 'drifting',
        type: 'boolean',
        doc: 'True when the window has at least the minimum impressions, |zScore| is at least the threshold and |relativeGap| at least the minimum gap: the predictions and the labels have drifted apart (alert).',
      },
      {
        name: 'verdict',
        type: 'string',
        doc: "The rule's reading in words: 'drifting', 'calibrated', or why no judgement is made (e.g. too few impressions).",
      },
      {
        name: 'feedbackWindowMs',
        type: 'long',
        doc: "How long after an impression a click still counted (the labels' window).",
      },
    ],
  },
};
