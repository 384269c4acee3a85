import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import {
  jsonSerde,
  Pipeline,
  RequestClient,
  RequestFailedError,
  requestErrorCodes,
  replyTopicPrefix,
  requestHeaders,
  StreamJob,
  stringSerde,
} from '../../operators/index.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { client as streamClient, readRaw } from '../support/records.js';

interface SquareRequest {
  readonly n: number;
  readonly fail?: boolean;
}
interface SquareReply {
  readonly n: number;
  readonly square: number;
}

const serdes = {
  key: stringSerde,
  request: jsonSerde<SquareRequest>(),
  reply: jsonSerde<SquareReply>(),
};
const concurrent = 10_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

test(`${concurrent} concurrent requests are each answered once; a throwing handler and a bad request get error replies`, async () => {
  const requestTopic = uniqueName('requests');
  await createTopics([requestTopic], { partitions: 6 });
  const pipeline = new Pipeline();
  pipeline.serve({
    name: 'squares',
    topic: requestTopic,
    serdes,
    handle: async (request) => {
      if (request.fail === true) {
        throw new Error(`cannot square ${request.n}`);
      }
      await Promise.resolve(); // an asynchronous handler, as a real lookup would be
      return { n: request.n, square: request.n * request.n };
    },
  });
  const job = new StreamJob({
    pipeline,
    applicationId: uniqueName('squares-job'),
    connection,
    logger: pino({ level: 'error' }),
    arrivalDelayTopics: [requestTopic],
  });
  await job.start();
  const client = await RequestClient.start({ connection, requestTopic, serdes });
  try {
    // Warm-up: the job's group has joined and the first reply topic serde is prepared.
    assert.deepEqual(await client.request({ n: 3 }, { key: 'warm', timeoutMs: 30_000 }), {
      n: 3,
      square: 9,
    });

    const latencies: number[] = [];
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: concurrent }, async (_, n) => {
        const sent = performance.now();
        const reply = await client.request({ n }, { key: `user-${n % 97}`, timeoutMs: 60_000 });
        latencies.push(performance.now() - sent);
        return reply;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    for (let n = 0; n < concurrent; n++) {
      assert.deepEqual(replies[n], { n, square: n * n });
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `  ${concurrent} requests in ${seconds.toFixed(2)} s (${Math.round(concurrent / seconds)}/s); ` +
        `round trip P50 ${percentile(latencies, 50).toFixed(0)} ms, P99 ${percentile(latencies, 99).toFixed(0)} ms, max ${percentile(latencies, 100).toFixed(0)} ms`,
    );
    const stats = client.stats();
    assert.equal(stats.inFlight, 0, 'nothing left waiting');
    assert.equal(stats.answered, concurrent + 1, 'every request answered once');
    assert.equal(stats.unmatchedReplies, 0, 'no reply arrived twice or unasked');
    // The job measured how late each request reached it: sent → fetch delivered, never
    // negative on one machine's clock, and (but for the warm-up, sent before the job had its
    // partitions) within the burst's round trips.
    const arrival = job.stats().arrivalDelays[requestTopic];
    assert.ok(arrival !== undefined && arrival.records >= concurrent + 1, 'every request measured');
    assert.ok(
      0 <= arrival.p50Ms && arrival.p50Ms <= arrival.p99Ms && arrival.p99Ms <= arrival.maxMs,
    );
    assert.ok(
      arrival.p99Ms <= percentile(latencies, 100) + 1_000,
      `arrival P99 ${arrival.p99Ms} ms within the slowest round trip`,
    );

    await assert.rejects(
      client.request({ n: 7, fail: true }, { timeoutMs: 30_000 }),
      (error: unknown) =>
        error instanceof RequestFailedError &&
        error.code === requestErrorCodes.handlerFailed &&
        /cannot square 7/.test(error.message),
    );

    // A request whose bytes are not JSON: an error reply, and the request in the DLQ. Its
    // reply topic is one the pipeline answers on (the request clients' prefix).
    const replyTopic = `${replyTopicPrefix(requestTopic)}manual`;
    await createTopics([replyTopic]);
    const producer = await streamClient.producer();
    await producer.send([
      {
        topic: requestTopic,
        key: Buffer.from('bad'),
        value: Buffer.from('{not json'),
        timestamp: Date.now(),
        headers: { [requestHeaders.correlationId]: 'bad-1', [requestHeaders.replyTo]: replyTopic },
      },
    ]);
    await producer.close();
    const [errorReply] = await readRaw(replyTopic, 1, { timeoutMs: 30_000 });
    assert.equal(String(errorReply?.headers[requestHeaders.correlationId]), 'bad-1');
    assert.equal(
      String(errorReply?.headers[requestHeaders.errorCode]),
      requestErrorCodes.badRequest,
    );
    assert.equal(errorReply?.value, null);
    const [letter] = await readRaw(job.deadLetterTopic, 1, { timeoutMs: 30_000 });
    assert.equal(Buffer.from(letter?.value ?? []).toString(), '{not json');
    assert.equal(job.state, 'running');
  } finally {
    await client.close();
    await job.stop();
  }
});

test('a request that times out is forgotten: the late reply is counted, not kept', async () => {
  const requestTopic = uniqueName('slow-requests');
  await createTopics([requestTopic]);
  const pipeline = new Pipeline();
  pipeline.serve({
    name: 'slow',
    topic: requestTopic,
    serdes,
    handle: async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return { n: request.n, square: request.n * request.n };
    },
  });
  const job = new StreamJob({
    pipeline,
    applicationId: uniqueName('slow-job'),
    connection,
    logger: pino({ level: 'error' }),
  });
  await job.start();
  const client = await RequestClient.start({ connection, requestTopic, serdes });
  try {
    // The first request may wait for the group to form; give it time, then time one out.
    await client.request({ n: 1 }, { timeoutMs: 30_000 });
    await assert.rejects(client.request({ n: 2 }, { timeoutMs: 200 }), /no reply within 200 ms/);
    assert.equal(client.stats().inFlight, 0, 'the timed-out request is no longer tracked');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(client.stats().unmatchedReplies, 1, 'its late reply was dropped and counted');
  } finally {
    await client.close();
    await job.stop();
  }
});
