import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rankerReport, type RankerManifest } from './rankerReport.js';

const manifest: RankerManifest = {
  dataWindow: {
    validationFrom: '2026-01-05T07:59:49Z',
    validationExamples: 19_730,
    testFrom: '2026-01-05T08:26:14Z',
  },
  calibration: { click_probability: { method: 'isotonic' } },
  calibrationSelection: {
    click_probability: {
      secondHalfLogLoss: { platt: 0.23929, isotonic: 0.23837, uncalibrated: 0.24127 },
    },
  },
  evaluation: {
    testExamples: 19_740,
    eceBins: 15,
    'click:rate': 0.0724,
    'click:prAuc': 0.1513,
    'click:prAucAtPosition0': 0.0901,
    'click:auc': 0.65,
    'click:meanPredicted': 0.0738,
    'click:meanCalibrated': 0.0653,
    'click:logLoss': 0.2508,
    'click:logLossCalibrated': 0.2497,
    'click:ece': 0.0118,
    'click:eceCalibrated': 0.0071,
    'click:reliability': '/tmp/m/reliability-click.png',
    'watch_seconds:rmse': 16.1314,
    'watch_seconds:rmseMeanBaseline': 16.275,
  },
};

test('the report: per task the test window’s figures before and after calibration, the PNG, the target', () => {
  const report = rankerReport(manifest);
  const text = report.lines.join('\n');
  assert.match(
    text,
    /click\s+ECE \(15 equal-width bins\)\s+0\.0118\s+0\.0071\s+calibration: isotonic/,
  );
  assert.match(text, /click\s+PR-AUC\s+0\.1513\s+all scored at position 0: 0\.0901/);
  assert.match(text, /watch_seconds\s+RMSE\s+16\.131\s+predicting the mean: 16\.275/);
  assert.match(text, /isotonic chosen by log-loss .*platt 0\.23929, isotonic 0\.23837/);
  assert.match(text, /click ECE after calibration 0\.0071: within the target 0\.01/);
  assert.deepEqual(report.pngs, { click: '/tmp/m/reliability-click.png' });
  assert.equal(report.clickEceCalibrated, 0.0071);
  const over = rankerReport({
    ...manifest,
    evaluation: { ...manifest.evaluation, 'click:eceCalibrated': 0.02 },
  });
  assert.match(over.lines.join('\n'), /NOT within the target/);
});

test('a MovieLens model (no click label): no click rows, no target line', () => {
  const report = rankerReport({ dataWindow: {}, evaluation: { 'rating:rmse': 1.02 } });
  assert.equal(report.clickEceCalibrated, null);
  assert.doesNotMatch(report.lines.join('\n'), /click/);
});
