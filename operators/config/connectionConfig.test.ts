import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ConfigError } from '../errors.js';
import { connectionConfigFromEnv, defaultBrokers, defaultRegistryUrl } from './connectionConfig.js';

test('defaults point at the local stack', () => {
  const config = connectionConfigFromEnv({});
  assert.deepEqual(config.brokers, [defaultBrokers]);
  assert.equal(config.registry.url, defaultRegistryUrl);
  assert.equal(config.sasl, undefined);
  assert.equal(config.tls, undefined);
});

test('brokers are split, trimmed and validated', () => {
  const config = connectionConfigFromEnv({ REELSTREAM_BROKERS: ' k1:9092, k2:19092 ,' });
  assert.deepEqual(config.brokers, ['k1:9092', 'k2:19092']);
  assert.throws(
    () => connectionConfigFromEnv({ REELSTREAM_BROKERS: 'k1' }),
    (error: unknown) => error instanceof ConfigError && error.setting === 'REELSTREAM_BROKERS',
  );
});

test('SASL/SCRAM needs a known mechanism and both credentials', () => {
  const config = connectionConfigFromEnv({
    REELSTREAM_SASL_MECHANISM: 'SCRAM-SHA-512',
    REELSTREAM_SASL_USERNAME: 'svc',
    REELSTREAM_SASL_PASSWORD: 'secret',
  });
  assert.deepEqual(config.sasl, {
    mechanism: 'scram-sha-512',
    username: 'svc',
    password: 'secret',
  });
  assert.throws(
    () => connectionConfigFromEnv({ REELSTREAM_SASL_MECHANISM: 'gssapi' }),
    /not one of/,
  );
  assert.throws(
    () =>
      connectionConfigFromEnv({
        REELSTREAM_SASL_MECHANISM: 'plain',
        REELSTREAM_SASL_USERNAME: 'u',
      }),
    /needs both/,
  );
});

test('TLS reads the PEM files named in the environment and says which one is missing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelstream-tls-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
  const config = connectionConfigFromEnv({ REELSTREAM_TLS_CA_FILE: ca });
  assert.equal(config.tls?.ca, '-----BEGIN CERTIFICATE-----\n');
  assert.equal(config.tls.rejectUnauthorized, true);
  assert.throws(
    () => connectionConfigFromEnv({ REELSTREAM_TLS_CERT_FILE: join(dir, 'missing.pem') }),
    /REELSTREAM_TLS_CERT_FILE: cannot read/,
  );
});

test('the registry URL loses trailing slashes and keeps basic auth', () => {
  const config = connectionConfigFromEnv({
    REELSTREAM_REGISTRY_URL: 'https://sr.example:8081/',
    REELSTREAM_REGISTRY_AUTH: 'key:secret',
  });
  assert.deepEqual(config.registry, { url: 'https://sr.example:8081', basicAuth: 'key:secret' });
});
