import { setTimeout as sleep } from 'node:timers/promises';

import type { Admin } from 'kafkajs';

/**
 * Waits until every partition of `topics` has a leader. kafkajs's own `waitForLeaders` gives up on
 * the first UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers while its metadata still lags
 * the controller's record of a topic created a moment ago; here that answer is one more reason to
 * ask again.
 */
export async function waitForTopicLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = described.filter(
        (t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0),
      );
      if (leaderless.length === 0 && described.length === topics.length) {
        return;
      }
      lastProblem = `no leader yet for ${leaderless.map((t) => t.name).join(', ')}`;
    } catch (error) {
      if (!isRetriable(error)) {
        throw error;
      }
      lastProblem = String(error);
    }
    await sleep(100);
  }
  throw new Error(
    `topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms: ${lastProblem}`,
  );
}

function isRetriable(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true
  );
}
