import assert from 'node:assert/strict';
import { test } from 'node:test';

import kafkajs from 'kafkajs';

import { ConfigError } from '../errors.js';
import { RecordFailedError } from './failurePolicy.js';
import { isTransient } from './transientErrors.js';

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs;

test('an unreachable broker is transient, however kafkajs wraps it', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), {
    code: 'ECONNREFUSED',
  });
  assert.equal(isTransient(refused), true);
  assert.equal(isTransient(new KafkaJSConnectionError('Connection error')), true);
  // kafkajs hands a refused connection up as non-retriable once its own retries are spent.
  assert.equal(isTransient(new KafkaJSNonRetriableError(refused)), true);
  assert.equal(isTransient(new Error('send failed', { cause: refused })), true);
});

test('a cluster electing leaders or loading coordinators is transient; a fenced producer too', () => {
  for (const type of [
    'NOT_COORDINATOR',
    'NOT_COORDINATOR_FOR_GROUP',
    'LEADER_NOT_AVAILABLE',
    'NOT_LEADER_FOR_PARTITION',
    'PRODUCER_FENCED',
  ]) {
    const error = Object.assign(new Error(type), { type });
    assert.equal(isTransient(error), true, type);
  }
});

test('a registry answering 5xx is transient; 4xx is not', () => {
  assert.equal(isTransient(Object.assign(new Error('unavailable'), { status: 503 })), true);
  assert.equal(isTransient(Object.assign(new Error('incompatible'), { status: 409 })), false);
});

test('faults of the job or its input are not outages', () => {
  assert.equal(isTransient(new ConfigError('REELSTREAM_BROKERS', 'bad')), false);
  assert.equal(isTransient(new TypeError('undefined is not a function')), false);
  const denied = Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
  assert.equal(isTransient(denied), false);
  const gone = Object.assign(new Error('gone'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  assert.equal(isTransient(gone), false);
  assert.equal(
    isTransient(
      new RecordFailedError({
        stage: 'processing',
        error: new Error('bad record'),
        origin: { topic: 't', partition: 0, offset: '1' },
        taskId: '0_0',
      }),
    ),
    false,
  );
  assert.equal(isTransient('a string'), false);
  assert.equal(isTransient(new KafkaJSProtocolError('x')), false);
});
