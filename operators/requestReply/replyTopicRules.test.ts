import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultReplyTopicRules, refusalOf, replyTopicPrefix } from './replyTopicRules.js';
import { undeliverableReasons } from './undeliverableReply.js';

const rules = defaultReplyTopicRules('rec.requests');
const { invalidTopic, notAllowed } = undeliverableReasons;

test('a request client topic of the request topic is allowed', () => {
  assert.equal(refusalOf(`${replyTopicPrefix('rec.requests')}3f2a9c`, rules), undefined);
});

test('topics outside the prefix are not allowed, however close', () => {
  assert.equal(refusalOf('catalog.videos', rules), notAllowed);
  assert.equal(refusalOf('features.trending', rules), notAllowed);
  assert.equal(refusalOf('rec.requests', rules), notAllowed);
  assert.equal(refusalOf('rec.requests.replies', rules), notAllowed);
  assert.equal(refusalOf('rec.requests.replies.', rules), notAllowed, 'the prefix alone');
  assert.equal(refusalOf('other.requests.replies.x', rules), notAllowed);
});

test("Kafka's own topics are refused whatever the rules say", () => {
  const everything = { prefixes: [''], topics: ['__consumer_offsets'] };
  assert.equal(refusalOf('__consumer_offsets', everything), notAllowed);
  assert.equal(refusalOf('__transaction_state', everything), notAllowed);
  assert.equal(refusalOf('anything.else', everything), undefined);
});

test('names Kafka would refuse are invalid, before the rules are asked', () => {
  const prefix = replyTopicPrefix('rec.requests');
  assert.equal(refusalOf('bad topic!', rules), invalidTopic);
  assert.equal(refusalOf(`${prefix}${'x'.repeat(300)}`, rules), invalidTopic);
  assert.equal(refusalOf(`${prefix}${'x'.repeat(249 - prefix.length)}`, rules), undefined);
  assert.equal(refusalOf(`${prefix}${'x'.repeat(250 - prefix.length)}`, rules), invalidTopic);
  assert.equal(refusalOf('', rules), invalidTopic);
  assert.equal(refusalOf('..', { prefixes: [''] }), invalidTopic);
  assert.equal(refusalOf(`${prefix}é`, rules), invalidTopic);
});

test('exact topics can be allowed beside prefixes', () => {
  const custom = { prefixes: ['a.'], topics: ['shared.replies'] };
  assert.equal(refusalOf('shared.replies', custom), undefined);
  assert.equal(refusalOf('shared.replies.x', custom), notAllowed);
  assert.equal(refusalOf('a.b', custom), undefined);
});
