import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import { deadLetterHeaders, undeliverableReasons } from '../../operators/index.js';
import { ReplyGuard } from '../../operators/requestReply/replyGuard.js';
import { guardReplies } from '../../operators/requestReply/replyGuardedClient.js';
import type { OutgoingRecord, RawRecord } from '../../operators/runtime/rawRecord.js';
import { createTopics, uniqueName } from '../support/integration.js';
import { client, readRaw } from '../support/records.js';
import { headerString } from './squareService.js';

const request: RawRecord = {
  topic: 'requests',
  partition: 0,
  offset: '41',
  key: Buffer.from('u1'),
  value: Buffer.from('the request'),
  timestamp: 1,
  headers: {},
};

// The race no check closes: the topic existed when the guard looked, and was deleted before
// the send. The send must neither fail nor take the other records of the batch down with it.
test('a reply topic deleted between the check and the send: the reply is dead-lettered, the rest written, in well under kafkajs retries', async () => {
  const [gone, impressions, dlq] = [
    uniqueName('reply-deleted'),
    uniqueName('impressions'),
    uniqueName('guard.dlq'),
  ];
  await createTopics([gone, impressions, dlq]);
  let looks = 0;
  const guard = new ReplyGuard({
    // The first look is the one before the send: it sees the topic, as a cache would.
    existing: async (topics) =>
      looks++ === 0 ? new Set(topics) : new Set((await client.partitionCounts(topics)).keys()),
    deadLetterTopic: dlq,
    logger: pino({ level: 'silent' }),
  });
  const producer = await guardReplies(client, guard).producer();
  try {
    await client.deleteTopics([gone]);
    const reply: OutgoingRecord = {
      topic: gone,
      key: null,
      value: Buffer.from('the reply'),
      timestamp: Date.now(),
      headers: {},
      reply: { request, taskId: '0_0' },
    };
    const impression: OutgoingRecord = {
      topic: impressions,
      key: null,
      value: Buffer.from('an impression'),
      timestamp: Date.now(),
      headers: {},
    };

    const started = performance.now();
    await producer.send([reply, impression]);
    const elapsedMs = performance.now() - started;

    const [written] = await readRaw(impressions, 1, { timeoutMs: 30_000 });
    assert.equal(Buffer.from(written?.value ?? []).toString(), 'an impression');
    const [letter] = await readRaw(dlq, 1, { timeoutMs: 30_000 });
    assert.ok(letter !== undefined);
    assert.equal(Buffer.from(letter.value ?? []).toString(), 'the request');
    assert.equal(
      headerString(letter, deadLetterHeaders.replyReason),
      undeliverableReasons.missingTopic,
    );
    assert.match(
      headerString(letter, deadLetterHeaders.errorMessage) ?? '',
      /deleted between the check and the send/,
    );
    assert.equal(guard.counts().total, 1);
    assert.ok(elapsedMs < 4_000, `the send took ${elapsedMs.toFixed(0)} ms (retries: ~9 s)`);
  } finally {
    await producer.close();
  }
});
