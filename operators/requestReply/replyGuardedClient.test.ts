import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import type {
  RecordProducer,
  SendReceipt,
  StreamClient,
} from '../connectors/kafka/streamClient.js';
import type { OutgoingRecord } from '../runtime/rawRecord.js';
import { ReplyGuard } from './replyGuard.js';
import { guardReplies } from './replyGuardedClient.js';

/** A producer whose sends wait until the test settles them; it knows whether it was closed. */
class HeldProducer implements RecordProducer {
  closed = false;
  readonly pending: { reject: (error: Error) => void }[] = [];

  send(): Promise<SendReceipt> {
    return new Promise((_, reject) => this.pending.push({ reject }));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

// An abandoned run's send goes on retrying after the run closed its producer (the broker was
// down); a reply producer opened by that retry was never closed, and its connection kept the
// serving process alive after its job had stopped.
test('a send in flight when the producer closes opens no reply producer after the close', async () => {
  const opened: HeldProducer[] = [];
  const client = {
    producer: () => {
      const producer = new HeldProducer();
      opened.push(producer);
      return Promise.resolve(producer);
    },
  } as unknown as StreamClient;
  const guard = new ReplyGuard({
    existing: (topics) => Promise.resolve(new Set(topics)),
    deadLetterTopic: 'serving.dlq',
    logger: pino({ level: 'silent' }),
  });
  const producer = await guardReplies(client, guard).producer();
  const reply: OutgoingRecord = {
    topic: 'rec.replies.a',
    key: null,
    value: Buffer.from('a reply'),
    timestamp: 0,
    headers: {},
    reply: {
      request: {
        topic: 'rec.requests',
        partition: 0,
        offset: '0',
        key: null,
        value: null,
        timestamp: 0,
        headers: {},
      },
      taskId: '0_0',
    },
  };
  const sending = producer.send([reply]);
  const outcome = sending.then(
    () => 'sent',
    (error: unknown) => (error as Error).message,
  );
  await waitFor(() => opened.length === 2 && (opened[1]?.pending.length ?? 0) === 1);
  await producer.close();
  opened[1]?.pending[0]?.reject(new Error('broker unreachable'));
  const settled = await Promise.race([
    outcome,
    new Promise((resolve) => setTimeout(() => resolve('still sending after 2 s'), 2_000)),
  ]);
  assert.match(String(settled), /closed while replies were being sent/);
  assert.equal(opened.length, 2, 'a reply producer was opened after the close');
  assert.ok(
    opened.every((p) => p.closed),
    'every producer opened is closed',
  );
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(condition(), 'the send did not reach the reply producer');
}
