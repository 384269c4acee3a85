import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import {
  float64Serde,
  Pipeline,
  RemoteStore,
  StoreUnavailableError,
  StreamJob,
  stringSerde,
} from '../../operators/index.js';
import { QueryNotAuthorizedError } from '../../operators/query/errors.js';
import { connection, createTopics, uniqueName, waitFor } from '../support/integration.js';
import { produceAll } from '../support/records.js';

const text = { key: stringSerde, value: stringSerde };
const partitions = 6;
const videos = 60;
/** The instances' shared query token: every lookup between them and from outside carries it. */
const token = randomBytes(32).toString('hex');

test('two instances each answer lookups for keys the other owns, to callers with the token', async () => {
  const input = uniqueName('iq-views');
  await createTopics([input], { partitions });
  const pipeline = new Pipeline();
  const counts = pipeline
    .source(input, text)
    .groupByKey({ name: 'by-video', serdes: text })
    .count({ name: 'view-counts' });
  const store = { name: counts.storeName, key: stringSerde, value: float64Serde };
  const applicationId = uniqueName('iq-job');
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-iq-'));
  const instance = (name: string): StreamJob =>
    new StreamJob({
      pipeline,
      applicationId,
      connection,
      stateDir: join(stateDir, name),
      commitIntervalMs: 200,
      queryEndpoint: '127.0.0.1:0',
      querySecurity: { tokens: [token] },
      logger: pino({ name, level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
    });
  // Video i is viewed i + 1 times.
  const views = Array.from({ length: videos }, (_, i) =>
    Array.from({ length: i + 1 }, () => ({
      key: `video-${String(i).padStart(3, '0')}`,
      value: 'v',
    })),
  ).flat();
  await produceAll({ topic: input, serdes: text, records: views });

  const first = instance('first');
  const second = instance('second');
  await first.start();
  await second.start();
  try {
    await waitFor(
      () =>
        first.stats().tasks.length === partitions / 2 &&
        second.stats().tasks.length === partitions / 2,
      'the two instances to split the partitions',
      60_000,
    );
    await waitFor(
      () => first.stats().processed + second.stats().processed >= views.length,
      'every view to be counted',
      60_000,
    );
    const expected = (i: number): [string, number] => [
      `video-${String(i).padStart(3, '0')}`,
      i + 1,
    ];
    let forwarded = 0;
    for (const job of [first, second]) {
      const query = job.query(store);
      for (let i = 0; i < videos; i++) {
        const [key, count] = expected(i);
        // A rebalance may still be settling: retry what says it is retriable.
        const value = await retrying(() => query.get(key));
        assert.equal(value, count, `${key} asked of ${job === first ? 'first' : 'second'}`);
        const location = await query.locate(key);
        if (!location.local) {
          forwarded += 1;
          const owner = job === first ? second : first;
          assert.equal(
            location.owner?.queryEndpoint,
            owner.queryEndpoint,
            'the owner is the other',
          );
        }
      }
      const all = await retrying(() => query.range());
      assert.deepEqual(
        all,
        Array.from({ length: videos }, (_, i) => expected(i)),
      );
      const page = await retrying(() =>
        query.range({ from: 'video-010', to: 'video-020', limit: 3 }),
      );
      assert.deepEqual(page, [expected(10), expected(11), expected(12)]);
      // Pages of 7 over both instances: every key once, in order.
      const paged: [string, number][] = [];
      for await (const entry of query.entries({ pageSize: 7 })) {
        paged.push(entry);
      }
      assert.deepEqual(paged, all);
      assert.equal(await query.get('video-999'), undefined);
    }
    assert.ok(
      forwarded >= videos / 2,
      `lookups for the other's keys went over HTTP (${forwarded})`,
    );
    // Another job (a serving layer) asks one instance for any key, by address only.
    const endpoint = first.queryEndpoint;
    assert.ok(endpoint !== undefined);
    const remote = new RemoteStore({
      endpoints: [endpoint],
      store,
      timeoutMs: 2_000,
      access: { token },
    });
    for (let i = 0; i < videos; i += 7) {
      const [key, count] = expected(i);
      assert.equal(await retrying(() => remote.get(key)), count, `${key} through RemoteStore`);
    }
    assert.equal(await remote.get('video-999'), undefined);
    const remotePages: string[] = [];
    for await (const [key] of remote.entries({ pageSize: 11 })) {
      remotePages.push(key);
    }
    assert.deepEqual(
      remotePages,
      Array.from({ length: videos }, (_, i) => expected(i)[0]),
    );
    // Without the token, or with another, the job answers nothing.
    const anonymous = await fetch(`http://${endpoint}/stores/${store.name}/range`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer /);
    const stranger = new RemoteStore({
      endpoints: [endpoint],
      store,
      timeoutMs: 2_000,
      access: { token: randomBytes(32).toString('hex') },
    });
    await assert.rejects(
      stranger.get('video-001'),
      (error: unknown) =>
        error instanceof StoreUnavailableError && error.cause instanceof QueryNotAuthorizedError,
    );
    // Each answer named the key's owner: the remote store now asks the owner first. With the
    // first instance stopped, the keys the second holds are still found, though the only
    // endpoint the remote store was given is the first's.
    const heldBySecond: [string, number][] = [];
    for (let i = 0; i < videos; i++) {
      const [key, count] = expected(i);
      if ((await retrying(() => second.query(store).locate(key))).local) {
        heldBySecond.push([key, count]);
        assert.equal(await retrying(() => remote.get(key)), count, `${key} through RemoteStore`);
      }
    }
    assert.ok(heldBySecond.length > 0);
    await first.stop();
    await waitFor(
      () => second.stats().tasks.length === partitions && second.state === 'running',
      'the second instance to take every partition',
      60_000,
    );
    for (const [key, count] of heldBySecond) {
      assert.equal(await retrying(() => remote.get(key)), count, `${key} from its owner`);
    }
    await Promise.all([first.stop(), second.stop()]);
    // Stopped: the lookup fails within its budget with the one error a caller falls back on.
    const started = performance.now();
    await assert.rejects(remote.get('video-001'), StoreUnavailableError);
    assert.ok(performance.now() - started < 2_500, 'failed within its budget');
  } finally {
    await Promise.all([first.stop(), second.stop()]);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

async function retrying<TResult>(lookup: () => Promise<TResult>): Promise<TResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await lookup();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || attempt >= 50) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
