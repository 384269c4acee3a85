import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Pipeline } from '../dsl/pipeline.js';
import { stringSerde } from '../serdes/basicSerdes.js';
import { TestDriver } from '../testing/testDriver.js';
import { logAndContinuePolicy, logAndFailPolicy, RecordFailedError } from './failurePolicy.js';

const text = { key: stringSerde, value: stringSerde };

function pipelineThatRejects(bad: string): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source('in', text)
    .mapValues((v) => {
      if (v === bad) {
        throw new TypeError(`cannot take ${v}`);
      }
      return v.toUpperCase();
    })
    .to('out', text);
  return pipeline;
}

test('logAndContinue skips failed records, counts nothing into the DLQ and moves on', async () => {
  const driver = await TestDriver.start(pipelineThatRejects('b'), { policy: logAndContinuePolicy });
  await driver.input('in', text).pipeMany(['a', 'b', 'c'].map((value) => ({ key: value, value })));
  assert.deepEqual(await driver.output('out', text).readValues(), ['A', 'C']);
  assert.deepEqual(await driver.output(driver.deadLetterTopic, text).readValues(), []);
});

test('logAndFail stops at the first failed record and names its origin', async () => {
  const driver = await TestDriver.start(pipelineThatRejects('b'), { policy: logAndFailPolicy });
  await assert.rejects(
    driver.input('in', text).pipeMany(['a', 'b', 'c'].map((value) => ({ key: value, value }))),
    (error: unknown) =>
      error instanceof RecordFailedError &&
      error.stage === 'processing' &&
      error.origin.topic === 'in' &&
      error.origin.offset === '1' &&
      /cannot take b/.test(error.message),
  );
});

test('a custom policy sees the stage and the error', async () => {
  const seen: string[] = [];
  const driver = await TestDriver.start(pipelineThatRejects('b'), {
    policy: {
      onDeserializationError: () => 'deadLetter',
      onProcessingError: (context) => {
        seen.push(`${context.stage}:${(context.error as Error).name}@${context.origin.offset}`);
        return 'continue';
      },
      onProductionError: () => 'fail',
    },
  });
  await driver.input('in', text).pipeMany(['a', 'b'].map((value) => ({ key: value, value })));
  assert.deepEqual(seen, ['processing:TypeError@1']);
});
