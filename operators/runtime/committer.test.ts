import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecordProducer, SendReceipt } from '../connectors/kafka/streamClient.js';
import { AtLeastOnceCommitter } from './committer.js';
import type { OutgoingRecord } from './rawRecord.js';

/** Acknowledges every send at once, each record at the next offset, and keeps what it sent. */
class RecordingProducer implements RecordProducer {
  readonly sends: string[][] = [];
  private offset = 0;

  send(records: readonly OutgoingRecord[]): Promise<SendReceipt> {
    this.sends.push(records.map((record) => record.topic));
    return Promise.resolve(
      new Map(records.map((record) => [`${record.topic}-0`, String(this.offset++)])),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function record(topic: string): OutgoingRecord {
  return { topic, key: null, value: Buffer.from('v'), timestamp: 0, headers: {} };
}

const offsets = [{ topic: 'in', partition: 0, offset: '7' }];

test('at-least-once: outputs first, then the changelog, each acknowledged before the next', async () => {
  const producer = new RecordingProducer();
  const receipt = await new AtLeastOnceCommitter(producer).commit({
    records: [record('out'), record('replies')],
    changelog: [record('app-store-changelog')],
    offsets,
  });
  assert.deepEqual(producer.sends, [['out', 'replies'], ['app-store-changelog']]);
  assert.deepEqual([...receipt.keys()].sort(), ['app-store-changelog-0', 'out-0', 'replies-0']);
});

test('at-least-once: a commit of positions alone sends nothing', async () => {
  const producer = new RecordingProducer();
  const receipt = await new AtLeastOnceCommitter(producer).commit({
    records: [],
    changelog: [],
    offsets,
  });
  assert.deepEqual(producer.sends, []);
  assert.equal(receipt.size, 0);
});

test('at-least-once: changelog records alone are sent without an empty send before them', async () => {
  const producer = new RecordingProducer();
  await new AtLeastOnceCommitter(producer).commit({
    records: [],
    changelog: [record('app-store-changelog')],
    offsets,
  });
  assert.deepEqual(producer.sends, [['app-store-changelog']]);
});
