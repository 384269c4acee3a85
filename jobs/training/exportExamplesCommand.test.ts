import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidArgumentError } from 'commander';

import { exportExamplesCommand, timeArgument } from './exportExamplesCommand.js';

test('--from and --until take a UTC date, an ISO time or epoch milliseconds', () => {
  assert.equal(timeArgument('1998-03-08'), Date.UTC(1998, 2, 8));
  assert.equal(timeArgument('1998-03-08T12:00:00Z'), Date.UTC(1998, 2, 8, 12));
  assert.equal(timeArgument('889315200000'), 889_315_200_000);
  for (const bad of ['1998-13', 'yesterday', '1998-03-32', '']) {
    assert.throws(() => timeArgument(bad), InvalidArgumentError, bad);
  }
});

test('the command is export-examples, with its options', () => {
  const command = exportExamplesCommand();
  assert.equal(command.name(), 'export-examples');
  assert.deepEqual(
    command.options.map((o) => o.long),
    [
      '--data',
      '--out',
      '--from',
      '--until',
      '--partition-hours',
      '--generated',
      '--seed',
      '--rate',
      '--feedback-window-minutes',
    ],
  );
});
