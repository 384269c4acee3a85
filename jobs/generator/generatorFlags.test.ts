import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidArgumentError } from 'commander';

import { ConfigError } from '../../operators/index.js';
import {
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
  resolveGenerateSettings,
  scale,
  speed,
  time,
  type GenerateFlags,
} from './generatorFlags.js';

const defaults: GenerateFlags = {
  rate: 1_000,
  scale: 0.01,
  seed: 42,
  speed: 1,
  progress: 5,
  catalog: true,
  kuairand: false,
};

test('argument parsers accept good values and explain bad ones', () => {
  assert.equal(positiveNumber('2.5'), 2.5);
  assert.equal(positiveInteger('10'), 10);
  assert.equal(nonNegativeInteger('0'), 0);
  assert.equal(speed('max'), Infinity);
  assert.equal(time('2024-05-01T00:00:00Z'), Date.UTC(2024, 4, 1));
  assert.equal(time('1700000000000'), 1_700_000_000_000);
  for (const [parse, raw] of [
    [positiveNumber, 'abc'],
    [positiveNumber, '-1'],
    [positiveNumber, ''],
    [positiveInteger, '1.5'],
    [nonNegativeInteger, '-3'],
    [scale, '2'],
    [speed, 'fast'],
    [time, 'yesterday'],
  ] as const) {
    assert.throws(() => parse(raw), InvalidArgumentError, `${raw} should be refused`);
  }
});

test('faster than real time needs a bound, and then ends about now', () => {
  assert.throws(
    () => resolveGenerateSettings({ ...defaults, speed: Infinity }, 1_000_000),
    (error: unknown) => error instanceof ConfigError && error.setting === '--speed',
  );
  const settings = resolveGenerateSettings(
    { ...defaults, speed: Infinity, events: 50_000 },
    1_000_000_000,
  );
  assert.equal(settings.startTime, 1_000_000_000 - 50_000);
  assert.equal(settings.maxEvents, 50_000);
  const realTime = resolveGenerateSettings({ ...defaults, duration: 60 }, 5_000);
  assert.equal(realTime.startTime, 5_000);
  assert.equal(realTime.durationMs, 60_000);
  assert.equal(realTime.kuairandDir, undefined);
});

test('a --kuairand directory without the tables is refused', () => {
  assert.throws(
    () => resolveGenerateSettings({ ...defaults, kuairand: '/nonexistent' }, 0),
    (error: unknown) =>
      error instanceof ConfigError && /user_features_pure\.csv/.test(error.message),
  );
});
