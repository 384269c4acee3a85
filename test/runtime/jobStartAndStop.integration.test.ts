import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { ConfigError, Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import {
  connection,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '../support/integration.js';
import { client } from '../support/records.js';

const text = { key: stringSerde, value: stringSerde };

test('SIGTERM stops a job gracefully: it commits its offsets, leaves the group and exits 0', async () => {
  const input = uniqueName('signal-in');
  const output = uniqueName('signal-out');
  const applicationId = uniqueName('signal-job');
  await createTopics([input, output], { partitions: 2 });
  const producer = await client.producer({ idempotent: true });
  await producer.send(
    Array.from({ length: 500 }, (_, i) => ({
      topic: input,
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`),
      timestamp: Date.now(),
      headers: {},
    })),
  );
  await producer.close();

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'fixtures', 'signalJob.ts')],
    {
      env: {
        ...process.env,
        REELSTREAM_TEST_INPUT: input,
        REELSTREAM_TEST_OUTPUT: output,
        REELSTREAM_TEST_APP: applicationId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const admin = testKafka('signal-admin').admin();
  await admin.connect();
  try {
    await waitFor(() => stdout.includes('STARTED'), 'the job to start', 60_000);
    const committedTotal = async (): Promise<number> => {
      const offsets = await admin.fetchOffsets({ groupId: applicationId, topics: [input] });
      return (offsets[0]?.partitions ?? []).reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
    };
    const deadline = Date.now() + 30_000;
    let described = await admin.describeGroups([applicationId]);
    while (described.groups[0]?.state !== 'Stable' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      described = await admin.describeGroups([applicationId]);
    }
    assert.equal(described.groups[0]?.members.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `exit code; output:\n${stdout}`);
    assert.match(stdout, /STOPPED processed=500/);
    assert.equal(await committedTotal(), 500, 'the shutdown committed every processed offset');
    const after = await admin.describeGroups([applicationId]);
    assert.equal(after.groups[0]?.members.length, 0, 'the member left the group');
  } finally {
    child.kill('SIGKILL');
    await admin.disconnect();
  }
});

test('start-up reports a missing input topic and inputs that are not co-partitioned', async () => {
  const missing = new Pipeline();
  missing.source(uniqueName('no-such-topic'), text).to(uniqueName('out'), text);
  const job = new StreamJob({
    pipeline: missing,
    applicationId: uniqueName('missing'),
    connection,
    logger: pino({ level: 'silent' }),
  });
  await assert.rejects(
    job.start(),
    (error: unknown) =>
      error instanceof ConfigError && /input topics do not exist/.test(error.message),
  );
  assert.equal(job.state, 'stopped');

  const two = uniqueName('two-partitions');
  const three = uniqueName('three-partitions');
  await createTopics([two], { partitions: 2 });
  await createTopics([three], { partitions: 3 });
  const mixed = new Pipeline();
  mixed.source([two, three], text).to(uniqueName('out'), text);
  const mixedJob = new StreamJob({
    pipeline: mixed,
    applicationId: uniqueName('mixed'),
    connection,
    logger: pino({ level: 'silent' }),
  });
  await assert.rejects(
    mixedJob.start(),
    (error: unknown) =>
      error instanceof ConfigError &&
      /not co-partitioned/.test(error.message) &&
      error.message.includes(`${three} (3)`),
  );
});
