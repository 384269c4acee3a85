import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { connectionConfigFromEnv, type ConnectionConfig } from '../../operators/index.js';
import { waitForTopicLeaders } from './topicLeaders.js';

/**
 * Integration tests talk to the real broker and registry that `reelstream stack up` starts (or
 * whatever REELSTREAM_BROKERS / REELSTREAM_REGISTRY_URL point at).
 */
export const connection: ConnectionConfig = connectionConfigFromEnv();

/** A topic or group name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
}

export function testKafka(clientId: string): ReturnType<typeof createKafkaJs> {
  return createKafkaJs(connection, { clientId });
}

/** Creates topics and waits until every partition has a leader. */
export async function createTopics(
  topics: readonly string[],
  options: { partitions?: number; config?: Record<string, string> } = {},
): Promise<void> {
  const admin = testKafka('test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: options.partitions ?? 1,
        replicationFactor: 1,
        configEntries: Object.entries(options.config ?? {}).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    });
    await waitForTopicLeaders(admin, topics);
  } finally {
    await admin.disconnect();
  }
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}
