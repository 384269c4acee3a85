import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  deadLetterHeaders,
  RequestClient,
  replyTopicPrefix,
  undeliverableReasons,
  type UndeliverableReason,
} from '../../operators/index.js';
import { createTopics, uniqueName, waitFor } from '../support/integration.js';
import { schemas } from '../support/records.js';
import {
  deadLettersById,
  headerString,
  replyReasonOf,
  sendRawRequest,
  squareSerdes,
  startSquareService,
} from './squareService.js';
import { connection } from '../support/integration.js';

interface ReplyToCase {
  readonly name: string;
  /** Makes the topic the request names (and what it needs), before the request is sent. */
  readonly replyTo: (requestTopic: string) => Promise<string>;
  readonly reason: UndeliverableReason;
}

/** Another schema under the topic's subject: the registry refuses the reply schema there. */
const otherSchema = JSON.stringify({
  type: 'record',
  name: 'Other',
  namespace: 'reelstream.test',
  fields: [{ name: 'name', type: 'string' }],
});

const cases: readonly ReplyToCase[] = [
  {
    name: 'a topic that was never created',
    replyTo: (requestTopic) => Promise.resolve(`${replyTopicPrefix(requestTopic)}never-created`),
    reason: undeliverableReasons.missingTopic,
  },
  {
    name: 'the topic of a request client that was answered and has just closed',
    replyTo: async (requestTopic) => {
      const closing = await RequestClient.start({
        connection,
        requestTopic,
        serdes: squareSerdes(),
      });
      // Answered once, so the job has seen its topic exist before the close deletes it.
      await closing.request({ n: 2 }, { timeoutMs: 60_000 });
      await closing.close();
      return closing.replyTo;
    },
    reason: undeliverableReasons.missingTopic,
  },
  {
    name: 'an invalid name',
    replyTo: () => Promise.resolve('bad topic!'),
    reason: undeliverableReasons.invalidTopic,
  },
  {
    name: 'a name of 300 characters in the allowed prefix',
    replyTo: (requestTopic) =>
      Promise.resolve(`${replyTopicPrefix(requestTopic)}${'x'.repeat(300)}`),
    reason: undeliverableReasons.invalidTopic,
  },
  {
    name: 'a compacted catalog topic outside the allow-list',
    replyTo: async () => {
      const catalog = uniqueName('catalog-videos');
      await createTopics([catalog], { config: { 'cleanup.policy': 'compact' } });
      return catalog;
    },
    reason: undeliverableReasons.notAllowed,
  },
  {
    name: 'an allowed topic whose subject holds another schema',
    replyTo: async (requestTopic) => {
      const topic = `${replyTopicPrefix(requestTopic)}other-schema`;
      await createTopics([topic]);
      await schemas.register(`${topic}-value`, otherSchema);
      return topic;
    },
    reason: undeliverableReasons.incompatibleSchema,
  },
  {
    name: "Kafka's own __consumer_offsets",
    replyTo: () => Promise.resolve('__consumer_offsets'),
    reason: undeliverableReasons.notAllowed,
  },
];

for (const guarantee of ['at-least-once', 'exactly-once'] as const) {
  test(`${guarantee}: every undeliverable reply-to is counted and dead-lettered with its reason, and the job answers the next request`, async () => {
    const service = await startSquareService({ guarantee });
    const { job, requestTopic } = service;
    try {
      const sent = new Map<string, ReplyToCase>();
      for (const [index, replyToCase] of cases.entries()) {
        const replyTo = await replyToCase.replyTo(requestTopic);
        const counted = job.stats().undeliverableReplies;
        const id = await sendRawRequest(requestTopic, {
          replyTo,
          key: 'v-0',
          value: JSON.stringify({ n: index }),
        });
        sent.set(id, replyToCase);
        await waitFor(
          () => job.stats().undeliverableReplies === counted + 1,
          `the reply to ${replyToCase.name} counted as undeliverable`,
          60_000,
        );
        const next = await service.client.request({ n: 10 + index }, { timeoutMs: 30_000 });
        assert.equal(next.square, (10 + index) ** 2, `answered after ${replyToCase.name}`);
      }

      const letters = await deadLettersById(job, cases.length);
      for (const [id, replyToCase] of sent) {
        const [letter, ...more] = letters.get(id) ?? [];
        assert.ok(letter !== undefined, `a dead letter for ${replyToCase.name}`);
        assert.equal(more.length, 0, `one dead letter for ${replyToCase.name}`);
        assert.equal(replyReasonOf(letter), replyToCase.reason, replyToCase.name);
        assert.equal(headerString(letter, deadLetterHeaders.topic), requestTopic);
        assert.equal(headerString(letter, deadLetterHeaders.stage), 'production');
        assert.equal(headerString(letter, deadLetterHeaders.errorClass), 'UndeliverableReplyError');
        assert.equal(
          Buffer.from(letter.value ?? []).toString(),
          JSON.stringify({ n: [...sent.keys()].indexOf(id) }),
        );
      }
      const stats = job.stats();
      assert.equal(stats.undeliverableReplies, cases.length);
      assert.equal(stats.deadLettered, cases.length);
      assert.equal(stats.recoveries, 0, 'the job never had to start again');
      assert.equal(job.state, 'running');
    } finally {
      await service.stop();
    }
  });
}
