import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import {
  jsonSerde,
  Pipeline,
  RequestClient,
  StreamJob,
  stringSerde,
} from '../../operators/index.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { client as streamClient } from '../support/records.js';

interface EchoRequest {
  readonly n: number;
  /** Held until the test opens the gate. */
  readonly slow?: boolean;
}

const serdes = {
  key: stringSerde,
  request: jsonSerde<EchoRequest>(),
  reply: jsonSerde<{ readonly n: number }>(),
};

// At-least-once, a request handler's work outlives its slice: a reply waits for its own
// handler, not for a slow neighbour's, and the committed position stops at the request still
// being answered, so a crash would redo it.
test('a slow request holds back neither the replies after it nor, past itself, the committed position', async () => {
  const requestTopic = uniqueName('slow-neighbour');
  await createTopics([requestTopic], { partitions: 1 });
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const pipeline = new Pipeline();
  pipeline.serve({
    name: 'echo',
    topic: requestTopic,
    serdes,
    handle: async (request) => {
      if (request.slow === true) {
        await gate;
      }
      return { n: request.n };
    },
  });
  const applicationId = uniqueName('slow-neighbour-job');
  const job = new StreamJob({
    pipeline,
    applicationId,
    connection,
    guarantee: 'at-least-once',
    commitIntervalMs: 100,
    logger: pino({ level: 'error' }),
  });
  await job.start();
  const client = await RequestClient.start({ connection, requestTopic, serdes });
  const committed = async (): Promise<bigint | undefined> => {
    const offset = await streamClient.committedOffset(applicationId, {
      topic: requestTopic,
      partition: 0,
    });
    return offset === undefined ? undefined : BigInt(offset);
  };
  const committedReaches = async (offset: bigint): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while ((await committed()) !== offset) {
      assert.ok(Date.now() < deadline, `the committed position never reached ${offset}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  try {
    // Warm-up (offset 0): the group has joined and the reply topic is ready.
    assert.deepEqual(await client.request({ n: 0 }, { key: 'k', timeoutMs: 30_000 }), { n: 0 });
    await committedReaches(1n);

    // Offset 1 waits at the gate; offsets 2..21 follow on the same partition, most of them in
    // the slow one's fetch, and are answered while it waits.
    let slowAnswered = false;
    const slow = client
      .request({ n: 1, slow: true }, { key: 'k', timeoutMs: 60_000 })
      .then((reply) => {
        slowAnswered = true;
        return reply;
      });
    const fast = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.request({ n: i + 2 }, { key: 'k', timeoutMs: 30_000 }),
      ),
    );
    assert.deepEqual(
      fast.map((reply) => reply.n),
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    assert.equal(slowAnswered, false, 'the slow request is still at its gate');

    // Several commits later, the committed position still points at the slow request.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(await committed(), 1n, 'not past the request still being answered');

    open();
    assert.deepEqual(await slow, { n: 1 });
    await committedReaches(22n);
    assert.equal(client.stats().unmatchedReplies, 0);
  } finally {
    open();
    await client.close();
    await job.stop();
  }
});
