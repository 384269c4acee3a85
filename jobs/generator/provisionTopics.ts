import type { StreamClient } from '../../operators/connectors/kafka/streamClient.js';
import type { SchemaCatalog } from '../../operators/index.js';
import { allTopics } from '../../schemas/topics.js';
import { registerAllSchemas } from './eventSerdes.js';

/**
 * Creates every topic of `schemas/topics.ts` that does not exist yet (with its partitions and
 * cleanup policy) and registers every value schema. Idempotent; existing topics are left as
 * they are.
 */
export async function provisionTopics(options: {
  client: StreamClient;
  schemas: SchemaCatalog;
}): Promise<{ topics: number; schemas: number }> {
  await options.client.ensureTopics(
    allTopics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions,
      config: { ...topic.config },
    })),
  );
  const schemas = await registerAllSchemas(options.schemas);
  return { topics: allTopics.length, schemas };
}
