import { setTimeout as sleep } from 'node:timers/promises';

import type { Admin } from 'kafkajs';

/** Records a topic holds now: the sum over partitions of high watermark minus log start. */
export async function topicRecordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Sum of the partitions' high watermarks: grows by one per record written, whatever retention does. */
export async function topicEndOffset(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await admin.listTopics()).includes(topic);
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * Creates a topic when it is missing (the local broker does not auto-create). Retries while a
 * deletion of the same name is still in progress.
 */
export async function ensureTopic(admin: Admin, spec: TopicSpec): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (await topicExists(admin, spec.topic)) {
      return;
    }
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            replicationFactor: 1,
            configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
          },
        ],
      });
      return;
    } catch (error) {
      if (attempt >= 30) {
        throw error;
      }
      await sleep(1000);
    }
  }
}

/** Deletes a topic and waits until the broker no longer lists it. */
export async function deleteTopic(admin: Admin, topic: string): Promise<void> {
  if (!(await topicExists(admin, topic))) {
    return;
  }
  await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  for (let attempt = 0; attempt < 60 && (await topicExists(admin, topic)); attempt++) {
    await sleep(500);
  }
}

/** Removes the consumer groups a run left behind (their ids carry the run id). */
export async function deleteRunGroups(admin: Admin, runId: string): Promise<void> {
  const { groups } = await admin.listGroups();
  const leftovers = groups.map((group) => group.groupId).filter((id) => id.includes(runId));
  if (leftovers.length > 0) {
    await admin.deleteGroups(leftovers).catch(() => undefined);
  }
}

/** Removes the topics a run left behind (internal topics whose names carry the run id). */
export async function deleteRunTopics(admin: Admin, runId: string): Promise<void> {
  const leftovers = (await admin.listTopics()).filter((topic) => topic.includes(runId));
  if (leftovers.length > 0) {
    await admin.deleteTopics({ topics: leftovers, timeout: 30_000 }).catch(() => undefined);
  }
}
