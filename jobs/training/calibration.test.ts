import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

import { calibrationOf, type OutputCalibration } from '../serving/outputCalibration.js';
import { trainerPython } from '../cli/trainCommand.js';

// The trainer's calibration (trainer/calibration.py) against known answers, and the serving
// contract: what the trainer measured its ECE with is what serving computes from the manifest.

interface Checked {
  readonly probes: readonly number[];
  readonly calibrations: readonly { spec: OutputCalibration; values: readonly number[] }[];
}

test('the trainer’s calibrations: known answers, and serving computes the same values from the manifest’s form', (t) => {
  const found = trainerPython();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  const run = spawnSync(found.python, ['check_calibration.py'], {
    cwd: join(import.meta.dirname, 'trainer'),
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const checked = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Checked;
  assert.deepEqual(checked.calibrations.map((c) => c.spec.method).slice(0, 2), [
    'platt',
    'isotonic',
  ]);
  for (const { spec, values } of checked.calibrations) {
    const served = calibrationOf('click_probability', spec);
    checked.probes.forEach((probe, i) => {
      const expected = values[i] ?? Number.NaN;
      const got = served(probe);
      assert.ok(
        Math.abs(got - expected) <= 1e-12 + 1e-9 * Math.abs(expected),
        `${spec.method} at ${probe}: serving ${got}, trainer ${expected}`,
      );
    });
  }
});
