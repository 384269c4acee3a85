import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidArgumentError } from 'commander';

import { integerBetween, positiveInt } from './argumentParsers.js';

test('positiveInt takes whole numbers above zero and refuses the rest, saying what it got', () => {
  assert.equal(positiveInt('20'), 20);
  for (const raw of ['0', '-3', '1.5', 'ten', '', '9007199254740993']) {
    assert.throws(
      () => positiveInt(raw),
      (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError);
        assert.equal(error.message, `"${raw}" is not a positive integer`);
        return true;
      },
    );
  }
});

test('integerBetween takes its bounds and what lies between, and names the value it wants', () => {
  const nice = integerBetween(0, 19, 'a nice value');
  assert.deepEqual(['0', '10', '19'].map(nice), [0, 10, 19]);
  for (const raw of ['-1', '20', '2.5', 'x']) {
    assert.throws(() => nice(raw), { message: `"${raw}" is not a nice value from 0 to 19` });
  }
});
