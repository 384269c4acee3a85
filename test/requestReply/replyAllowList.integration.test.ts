import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, stringSerde } from '../../operators/index.js';
import { watchHeartbeatSchema } from '../../schemas/generated/watchHeartbeat.js';
import { createTopics, uniqueName, waitFor } from '../support/integration.js';
import { client, produceAll } from '../support/records.js';
import { sendRawRequest, startSquareService } from './squareService.js';

/** The end offsets of all of `topic`'s partitions added up: what was ever written to it. */
async function recordsIn(topic: string): Promise<number> {
  const partitions = await client.partitionOffsets(topic);
  return partitions.reduce((sum, p) => sum + Number(p.high), 0);
}

/** What a hostile request can be: every path by which the server answers. */
const attacks = [
  { name: 'a valid request', value: JSON.stringify({ n: 7 }) },
  { name: 'garbage (answered with a null error reply: a tombstone)', value: '{not json' },
  { name: 'a request whose handler throws', value: JSON.stringify({ n: 7, fail: true }) },
  { name: 'a request past its deadline', value: JSON.stringify({ n: 7 }), deadline: 1 },
] as const;

test('no request makes the serving job write to a topic outside its reply topics', async () => {
  const service = await startSquareService();
  const { job, requestTopic } = service;
  try {
    // Foreign topics that hold data: a compacted catalog keyed like the requests, a topic with
    // an Avro subject of its own, the job's own request topic, and another job's dead letters.
    const catalog = uniqueName('catalog-videos');
    const features = uniqueName('features-trending');
    const otherDlq = uniqueName('other-job.dlq');
    await createTopics([catalog], { config: { 'cleanup.policy': 'compact' } });
    await createTopics([features, otherDlq]);
    await produceAll({
      topic: catalog,
      serdes: { key: stringSerde, value: stringSerde },
      records: [{ key: 'v-0', value: 'a video' }],
    });
    await produceAll({
      topic: features,
      serdes: { key: stringSerde, value: avroSerde(watchHeartbeatSchema) },
      records: [
        {
          key: 'v-0',
          value: { userId: 'u', videoId: 'v-0', sessionId: 's', watchedMs: 1, eventTime: 1 },
        },
      ],
    });
    const foreign = [catalog, features, otherDlq, requestTopic];
    const before = new Map<string, number>();
    for (const topic of foreign) {
      before.set(topic, await recordsIn(topic));
    }

    let sent = 0;
    for (const topic of [...foreign, '__consumer_offsets', '__transaction_state']) {
      for (const attack of attacks) {
        await sendRawRequest(requestTopic, { replyTo: topic, key: 'v-0', ...attack });
        sent += 1;
      }
    }

    // Every attack's reply is dead-lettered once the job acknowledged it (garbage also goes to
    // the DLQ as undecodable, which is not a reply's count).
    await waitFor(
      () => job.stats().undeliverableReplies === sent,
      `${sent} replies counted as undeliverable`,
      60_000,
    );
    for (const topic of foreign) {
      // The request topic holds the attacks themselves, and nothing more.
      const expected = (before.get(topic) ?? 0) + (topic === requestTopic ? sent : 0);
      assert.equal(await recordsIn(topic), expected, `nothing was written to ${topic}`);
    }
    const answered = await service.client.request({ n: 12 }, { timeoutMs: 30_000 });
    assert.equal(answered.square, 144, 'the job still answers its clients');

    assert.equal(job.stats().recoveries, 0);
    assert.equal(job.state, 'running');
  } finally {
    await service.stop();
  }
});
