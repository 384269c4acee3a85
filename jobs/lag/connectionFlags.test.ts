import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigError } from '../../operators/index.js';
import { connectionConfigFromFlags } from './connectionFlags.js';
import { classifyKafkaError, lagErrorCodes } from './lagErrors.js';

test('flags override the environment and are validated like it', () => {
  const env = { REELSTREAM_BROKERS: 'env:9092', REELSTREAM_TLS: 'true' };
  const config = connectionConfigFromFlags(
    { brokers: 'a:1,b:2', saslMechanism: 'scram-sha-512', saslUsername: 'u', saslPassword: 'p' },
    env,
  );
  assert.deepEqual(config.brokers, ['a:1', 'b:2']);
  assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  assert.deepEqual(connectionConfigFromFlags({}, env).brokers, ['env:9092']);
  assert.equal(config.tls?.rejectUnauthorized, true);
  assert.equal(
    connectionConfigFromFlags({ tlsInsecure: true }, env).tls?.rejectUnauthorized,
    false,
  );
  assert.throws(() => connectionConfigFromFlags({ brokers: 'no-port' }, {}), ConfigError);
});

test('kafkajs failures become unreachable or not-authorized', () => {
  const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
    name: 'KafkaJSConnectionError',
  });
  const retried = new Error('retries exceeded', { cause: refused });
  assert.equal(classifyKafkaError(retried, ['k:1']).code, lagErrorCodes.unreachable);
  assert.match(classifyKafkaError(retried, ['k:1']).message, /k:1.*ECONNREFUSED/);
  const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
    name: 'KafkaJSSASLAuthenticationError',
  });
  assert.equal(classifyKafkaError(sasl, ['k:1']).code, lagErrorCodes.notAuthorized);
  const acl = Object.assign(new Error('Not authorized to access group'), {
    type: 'GROUP_AUTHORIZATION_FAILED',
  });
  assert.equal(classifyKafkaError(acl, ['k:1']).code, lagErrorCodes.notAuthorized);
});
