import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import { Pipeline } from '../dsl/pipeline.js';
import { ConfigError } from '../errors.js';
import { stringSerde } from '../serdes/basicSerdes.js';
import { StreamJob } from './streamJob.js';

// Never reached: constructing a job connects to nothing.
const connection = {
  brokers: ['127.0.0.1:1'],
  clientId: 'arrivals-test',
  registry: { url: 'http://127.0.0.1:1' },
};

function pipelineReading(topic: string): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source(topic, { key: stringSerde, value: stringSerde }, { name: 'in' })
    .to('out', { key: stringSerde, value: stringSerde }, { name: 'out' });
  return pipeline;
}

test('arrivalDelayTopics must name source topics of the pipeline', () => {
  const options = {
    pipeline: pipelineReading('requests'),
    applicationId: 'arrivals',
    connection,
    logger: pino({ level: 'silent' }),
  };
  assert.throws(
    () => new StreamJob({ ...options, arrivalDelayTopics: ['requests', 'out', 'typo'] }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.setting === 'arrivalDelayTopics' &&
      /out, typo: not a source topic/.test(error.message),
  );
  const job = new StreamJob({ ...options, arrivalDelayTopics: ['requests'] });
  assert.deepEqual(job.stats().arrivalDelays, {}, 'nothing measured before any fetch');
});
