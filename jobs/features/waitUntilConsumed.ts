import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { replayTopics } from '../replay/replayEvent.js';
import { featuresApplicationId } from './featuresJob.js';

/** Waits until the feature job has committed every record of the replayed topics. */
export async function waitUntilConsumed(options: {
  connection: ConnectionConfig;
  log: (line: string) => void;
}): Promise<void> {
  const replayed = [...new Set(Object.values(replayTopics).map((t) => t.name))];
  const admin = createKafkaJs(options.connection, {
    clientId: 'reelstream-evaluation-lag',
  }).admin();
  await admin.connect();
  try {
    let lastReport = performance.now();
    for (;;) {
      let behind = 0;
      const committed = await admin.fetchOffsets({
        groupId: featuresApplicationId,
        topics: replayed,
      });
      for (const topic of replayed) {
        const ends = await admin.fetchTopicOffsets(topic);
        const done = committed.find((t) => t.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const offset = done.find((p) => p.partition === end.partition)?.offset ?? '-1';
          behind += Number(end.high) - Math.max(Number(offset), Number(end.low));
        }
      }
      if (behind === 0) {
        return;
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        options.log(`feature job: ${behind} records still to process`);
      }
      await sleep(1_000);
    }
  } finally {
    await admin.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
