import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ConfigError } from '../../operators/index.js';
import {
  isLoopback,
  queryAccessFromEnv,
  querySecurityFromEnv,
} from '../../operators/query/querySecurity.js';
import { instance } from './queryInstances.js';

const token = 'a'.repeat(24) + '0123456789';

test('a routable endpoint without a token refuses to start, unless explicitly allowed', async () => {
  const open = instance('open', [0]);
  await assert.rejects(open.service.listen('0.0.0.0:0'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.setting, 'queryEndpoint');
    assert.match(error.message, /reachable from other machines and no query token is set/);
    assert.match(error.message, /REELSTREAM_QUERY_TOKEN/);
    return true;
  });
  assert.equal(open.service.endpoint, undefined, 'nothing listens');

  for (const security of [{ tokens: [token] }, { allowUnauthenticated: true }]) {
    const started = instance('started', [0], security);
    const endpoint = await started.service.listen('0.0.0.0:0');
    assert.match(endpoint, /^0\.0\.0\.0:\d+$/);
    await started.service.close();
  }
  // Loopback stays the default, and needs no token.
  const local = instance('local', [0]);
  assert.match(await local.service.listen('127.0.0.1:0'), /^127\.0\.0\.1:\d+$/);
  await local.service.close();
});

test('only literal loopback addresses count as loopback', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
    assert.equal(isLoopback(host), true, host);
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.7', 'features-0.internal', '127.0.0.1.evil.com']) {
    assert.equal(isLoopback(host), false, host);
  }
});

test('a short token, or one that cannot travel in a header, is a configuration error', async () => {
  assert.throws(
    () => querySecurityFromEnv({ REELSTREAM_QUERY_TOKEN: 'secret' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.setting === 'REELSTREAM_QUERY_TOKEN' &&
      /at least 16 characters/.test(error.message) &&
      !error.message.includes('secret'),
  );
  assert.throws(
    () => querySecurityFromEnv({ REELSTREAM_QUERY_TOKEN: `${token} with spaces` }),
    ConfigError,
  );
  // Given as an option, the same rule holds when the server starts.
  const weak = instance('weak', [0], { tokens: ['short'] });
  await assert.rejects(weak.service.listen('127.0.0.1:0'), ConfigError);
});

test('the environment gives the tokens, a token file, TLS files and the opt-out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelstream-query-env-'));
  try {
    const second = 'b'.repeat(32);
    assert.deepEqual(querySecurityFromEnv({ REELSTREAM_QUERY_TOKEN: ` ${token} , ${second}` }), {
      tokens: [token, second],
    });
    assert.deepEqual(queryAccessFromEnv({ REELSTREAM_QUERY_TOKEN: `${token},${second}` }), {
      token,
    });
    writeFileSync(join(dir, 'token'), `${token}\n`);
    assert.deepEqual(querySecurityFromEnv({ REELSTREAM_QUERY_TOKEN_FILE: join(dir, 'token') }), {
      tokens: [token],
    });
    writeFileSync(join(dir, 'cert.pem'), 'CERT');
    writeFileSync(join(dir, 'key.pem'), 'KEY');
    const tlsEnv = {
      REELSTREAM_QUERY_TLS_CERT_FILE: join(dir, 'cert.pem'),
      REELSTREAM_QUERY_TLS_KEY_FILE: join(dir, 'key.pem'),
      REELSTREAM_QUERY_TLS_CA_FILE: join(dir, 'cert.pem'),
      REELSTREAM_QUERY_ALLOW_UNAUTHENTICATED: 'true',
    };
    assert.deepEqual(querySecurityFromEnv(tlsEnv), {
      tls: { cert: 'CERT', key: 'KEY', ca: 'CERT' },
      allowUnauthenticated: true,
    });
    assert.deepEqual(queryAccessFromEnv(tlsEnv), {
      tls: { ca: 'CERT', rejectUnauthorized: true },
    });
    assert.deepEqual(queryAccessFromEnv({ REELSTREAM_QUERY_TLS: 'true' }), {
      tls: { rejectUnauthorized: true },
    });
    assert.deepEqual(querySecurityFromEnv({}), {});
    assert.deepEqual(queryAccessFromEnv({}), {});
    assert.throws(
      () => querySecurityFromEnv({ REELSTREAM_QUERY_TLS_CERT_FILE: join(dir, 'cert.pem') }),
      /needs both REELSTREAM_QUERY_TLS_CERT_FILE and REELSTREAM_QUERY_TLS_KEY_FILE/,
    );
    assert.throws(
      () => querySecurityFromEnv({ REELSTREAM_QUERY_TOKEN_FILE: join(dir, 'missing') }),
      /REELSTREAM_QUERY_TOKEN_FILE: cannot read/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
