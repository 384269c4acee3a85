import { rmSync } from 'node:fs';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import type { ConnectionConfig } from '../../operators/index.js';
import { itemEmbeddingsTopic } from '../../pipelines/itemEmbeddingShards.js';
import { topicCatalog } from '../../schemas/topics.js';
import { featuresApplicationId } from '../features/featuresJob.js';
import { servingApplicationId } from '../serving/servingJob.js';

/**
 * Empties what an earlier demo left on the stack, so each run tells the same story from the
 * same start: the catalogue's topics, both jobs' internal topics (changelogs, repartitions,
 * dead letters), their consumer groups, and their local state. Without it a second run would
 * first work through the previous run's leftover backlog, and its users would carry the
 * previous run's history.
 */
/** The application-id prefix of the item embedding jobs (embeddingJobs.ts' default). */
const embeddingsApplicationPrefix = 'reelstream-items';

export async function resetDemo(options: {
  connection: ConnectionConfig;
  stateDir: string;
  log: (line: string) => void;
}): Promise<void> {
  const admin = createKafkaJs(options.connection, { clientId: 'reelstream-demo-reset' }).admin();
  await admin.connect();
  try {
    const catalogue = new Set<string>(Object.values(topicCatalog).map((spec) => spec.name));
    // The demo's two-tower embedding jobs (embeddingJobs.ts) too: their topic and groups.
    const embeddings = (name: string): boolean =>
      name.startsWith(`${embeddingsApplicationPrefix}-`);
    const owned = (topic: string): boolean =>
      catalogue.has(topic) ||
      topic === itemEmbeddingsTopic ||
      embeddings(topic) ||
      topic.startsWith(`${featuresApplicationId}-`) ||
      topic.startsWith(`${servingApplicationId}-`);
    const topics = (await admin.listTopics()).filter(owned);
    const groups = (await listGroupsOnceLoaded(admin)).groups
      .map((g) => g.groupId)
      .filter((g) => g === featuresApplicationId || g === servingApplicationId || embeddings(g));
    if (groups.length > 0) {
      // A group still has members while an earlier run's consumers are alive, or after one
      // died until its session times out: wait for them to go.
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          await admin.deleteGroups(groups);
          break;
        } catch (error) {
          if (Date.now() > deadline) {
            throw new Error(
              `the demo's consumer groups (${groups.join(', ')}) still have members after 90 s: is another demo running?`,
              { cause: error },
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      }
    }
    if (topics.length > 0) {
      await admin.deleteTopics({ topics });
      // Deletion is asynchronous: wait until the broker no longer lists them, or the
      // re-creation that follows would find them still there (and soon gone).
      const deadline = Date.now() + 60_000;
      while ((await admin.listTopics()).some(owned)) {
        if (Date.now() > deadline) {
          throw new Error('the demo topics were not deleted within 60 s');
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    rmSync(options.stateDir, { recursive: true, force: true });
    options.log(
      `reset: deleted ${topics.length} topics, ${groups.length} consumer groups and the jobs' local state of earlier runs`,
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * The broker's groups. A broker that has just started answers GROUP_LOAD_IN_PROGRESS while its
 * coordinator reads `__consumer_offsets` (kafkajs does not retry that for listGroups): wait for
 * it, up to a minute.
 */
async function listGroupsOnceLoaded(
  admin: ReturnType<ReturnType<typeof createKafkaJs>['admin']>,
): Promise<Awaited<ReturnType<typeof admin.listGroups>>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await admin.listGroups();
    } catch (error) {
      const loading = (error as { type?: unknown }).type === 'GROUP_LOAD_IN_PROGRESS';
      if (!loading || Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
