import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { replayTopics } from '../replay/replayEvent.js';
import { featuresApplicationId } from './featuresJob.js';

/**
 * Waits until the feature job has committed every record of the replayed topics and of every
 * topic it reads downstream of them (repartition topics, the watch sessions it derives user
 * features from). Waiting for the replayed topics alone let a reader ask for features the job
 * had not derived yet: user features are two topics away from the raw events.
 */
export async function waitUntilConsumed(options: {
  connection: ConnectionConfig;
  log: (line: string) => void;
}): Promise<void> {
  const replayed = [...new Set(Object.values(replayTopics).map((t) => t.name))];
  const kafka = createKafkaJs(options.connection, { clientId: 'reelstream-evaluation-lag' });
  const group = new KafkajsStreamClient(kafka);
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lastReport = performance.now();
    for (;;) {
      // The topics the job's members are assigned: the replayed ones and those downstream.
      const members = await group.groupMembers(featuresApplicationId);
      const assigned = members.flatMap((m) => [...m.assignment.keys()]);
      if (assigned.length === 0) {
        await sleep(1_000); // the group is (re)balancing
        continue;
      }
      const topics = [...new Set([...replayed, ...assigned])];
      const committed = await admin.fetchOffsets({ groupId: featuresApplicationId, topics });
      const behind = new Map<string, number>();
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const done = committed.find((t) => t.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const offset = done.find((p) => p.partition === end.partition)?.offset ?? '-1';
          const lag = Number(end.high) - Math.max(Number(offset), Number(end.low));
          if (lag > 0) {
            behind.set(topic, (behind.get(topic) ?? 0) + lag);
          }
        }
      }
      if (behind.size === 0) {
        return;
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        const raw = replayed.reduce((sum, topic) => sum + (behind.get(topic) ?? 0), 0);
        const all = [...behind.values()].reduce((sum, lag) => sum + lag, 0);
        options.log(
          `feature job: ${raw} replayed records still to process, ${all - raw} more downstream`,
        );
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
