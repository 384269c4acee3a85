import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { StreamClient, TopicSpec } from '../../operators/connectors/kafka/streamClient.js';
import { RequestClient } from '../../operators/index.js';
import type { SquareReply } from '../fixtures/schemas/generated/squareReply.js';
import { connection } from '../support/integration.js';
import { client as realClient } from '../support/records.js';
import { squareSerdes, startSquareService, type SquareRequest } from './squareService.js';

/**
 * The real client, except that the topics it is asked to create appear only `lagMs` later: a
 * broker whose metadata answers from an image older than the topic's creation, as a loaded CI
 * machine's did (the reply consumer's first subscribe got UNKNOWN_TOPIC_OR_PARTITION).
 */
function lateTopicsClient(lagMs: number): {
  client: StreamClient;
  created: () => Promise<void> | undefined;
} {
  let created: Promise<void> | undefined;
  const client = Object.assign(Object.create(realClient) as StreamClient, {
    ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
      created = sleep(lagMs).then(() => realClient.ensureTopics(topics));
      return Promise.resolve();
    },
  });
  return { client, created: () => created };
}

test('a request client whose reply topic the broker lists only later starts once it does, and is answered', async () => {
  const service = await startSquareService();
  const { client, created } = lateTopicsClient(1_500);
  let requests: RequestClient<string, SquareRequest, SquareReply> | undefined;
  try {
    const started = performance.now();
    requests = await RequestClient.start({
      connection,
      requestTopic: service.requestTopic,
      serdes: squareSerdes(),
      client,
    });
    const waitedMs = performance.now() - started;
    const creation = created();
    assert.ok(creation !== undefined, 'the client asked for its reply topic');
    await creation;
    assert.ok(waitedMs >= 1_500, `started after ${waitedMs.toFixed(0)} ms, before the topic was`);
    const reply = await requests.request({ n: 12 }, { key: '12', timeoutMs: 30_000 });
    assert.equal(reply.square, 144);
  } finally {
    await requests?.close();
    await created();
    await service.stop();
  }
});

test('a request client given a reply topic that does not exist fails to start at once', async () => {
  const service = await startSquareService();
  const started = performance.now();
  try {
    await assert.rejects(
      RequestClient.start({
        connection,
        requestTopic: service.requestTopic,
        replyTopic: `${service.requestTopic}.replies.not-created`,
        serdes: squareSerdes(),
      }),
      (error: Error & { type?: string }) => error.type === 'UNKNOWN_TOPIC_OR_PARTITION',
    );
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 15_000, `failed after ${elapsedMs.toFixed(0)} ms`);
  } finally {
    await service.stop();
  }
});
