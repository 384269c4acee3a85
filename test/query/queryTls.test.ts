import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { RemoteStore, StoreQuery, StoreUnavailableError } from '../../operators/index.js';
import { QueryTransport } from '../../operators/query/queryTransport.js';
import { agree, base64url, fill, instance, partitionOf, store } from './queryInstances.js';

/**
 * Two instances serving https with a self-signed certificate made here by openssl (as an
 * operator would), sharing a token: lookups forwarded between them and RemoteStore's go over
 * TLS, and a client that does not trust the certificate, or speaks plain http, gets nothing.
 */
const dir = mkdtempSync(join(tmpdir(), 'reelstream-query-tls-'));
execFileSync(
  'openssl',
  [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
    ...['-subj', '/CN=reelstream-query-test'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  ],
  { stdio: 'pipe' },
);
const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
const key = readFileSync(join(dir, 'key.pem'), 'utf8');
const token = randomBytes(32).toString('hex');
const security = { tokens: [token], tls: { cert, key, ca: cert } };
const keys = Array.from({ length: 40 }, (_, i) => `person-${String(i).padStart(2, '0')}`);
const first = instance('first', [0, 1], security);
const second = instance('second', [2, 3], security);
const remoteKey = keys.find((k) => second.owns.has(partitionOf(k))) ?? '';

before(async () => {
  await first.service.listen('127.0.0.1:0');
  await second.service.listen('127.0.0.1:0');
  fill([first, second], keys);
  agree([first, second]);
});

after(async () => {
  await first.service.close();
  await second.service.close();
  rmSync(dir, { recursive: true, force: true });
});

test('instances forward lookups to each other over https', async () => {
  const query = new StoreQuery(first.service, store);
  for (const k of keys) {
    assert.equal(await query.get(k), `hello ${k}`);
  }
  assert.equal((await query.range()).length, keys.length);
});

test('a RemoteStore that trusts the certificate reads over https with its token', async () => {
  const remote = new RemoteStore({
    endpoints: [first.service.endpoint ?? ''],
    store,
    timeoutMs: 2_000,
    access: { token, tls: { ca: cert } },
  });
  assert.equal(await remote.get(remoteKey), `hello ${remoteKey}`);
  remote.close();
});

test('TLS does not replace the token: over https without one the answer is still 401', async () => {
  const transport = new QueryTransport({ tls: { ca: cert } });
  const answer = await transport.get(
    first.service.endpoint ?? '',
    `/stores/greetings/keys/${base64url(remoteKey)}`,
    { timeoutMs: 2_000 },
  );
  assert.equal(answer.status, 401);
  transport.close();
});

test('a client that does not trust the certificate, or speaks http, gets no answer', async () => {
  const untrusting = new RemoteStore({
    endpoints: [first.service.endpoint ?? ''],
    store,
    timeoutMs: 2_000,
    access: { token, tls: {} },
  });
  await assert.rejects(untrusting.get(remoteKey), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError);
    assert.match(String((error.cause as Error).message), /self-signed certificate/);
    return true;
  });
  untrusting.close();
  const plain = new RemoteStore({
    endpoints: [first.service.endpoint ?? ''],
    store,
    timeoutMs: 2_000,
    access: { token },
  });
  await assert.rejects(plain.get(remoteKey), StoreUnavailableError);
  plain.close();
});
