import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidArgumentError } from 'commander';

import { defaultCutoffMs } from '../evaluation/timeSplit.js';
import { cutoffTime, cutoffTimes, evaluateCommand } from './evaluateCommand.js';

test('--cutoff takes epoch milliseconds and ISO 8601 dates and times', () => {
  assert.equal(cutoffTime('892080000000'), 892_080_000_000);
  assert.equal(cutoffTime(String(defaultCutoffMs)), defaultCutoffMs);
  assert.equal(cutoffTime('1998-04-09'), 892_080_000_000);
  assert.equal(cutoffTime('1998-04-09T00:00:00Z'), 892_080_000_000);
  assert.equal(cutoffTime('1998-04-09T00:00:00'), 892_080_000_000); // no zone: UTC
  assert.equal(cutoffTime('1998-04-09T02:00:00+02:00'), 892_080_000_000);
  for (const bad of ['yesterday', '1998-13-40', '9'.repeat(20), '', 'April 9, 1998']) {
    assert.throws(() => cutoffTime(bad), InvalidArgumentError, bad);
  }
});

test('--help prints the default cut-off as a date and in milliseconds, and both parse', () => {
  const help = evaluateCommand().helpInformation();
  assert.match(help, /default:\s+1998-03-08, 889315200000 ms/);
  const parsed = evaluateCommand()
    .exitOverride()
    .action(() => undefined)
    .parse(['--cutoff', '892080000000'], { from: 'user' })
    .opts<{ cutoff: readonly number[] }>();
  assert.deepEqual(parsed.cutoff, [892_080_000_000]);
  const byDefault = evaluateCommand()
    .exitOverride()
    .action(() => undefined)
    .parse([], { from: 'user' })
    .opts<{ cutoff: readonly number[] }>();
  assert.deepEqual(byDefault.cutoff, [defaultCutoffMs]);
});

test('--cutoff repeated or comma-separated gives several cut-offs, in order; the same twice is refused', () => {
  const parsed = evaluateCommand()
    .exitOverride()
    .action(() => undefined)
    .parse(['--cutoff', '1998-01-11,1998-02-08', '--cutoff', '1998-03-08'], { from: 'user' })
    .opts<{ cutoff: readonly number[] }>();
  assert.deepEqual(parsed.cutoff, [884_476_800_000, 886_896_000_000, defaultCutoffMs]);
  assert.throws(() => cutoffTimes('1998-03-08,889315200000', []), InvalidArgumentError);
  assert.throws(() => cutoffTimes('1998-03-08,', []), InvalidArgumentError);
});
