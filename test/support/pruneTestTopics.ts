/**
 * Deletes the topics earlier test runs left on the broker: `test.<prefix>.<time>.<random>`
 * names (`uniqueName`, integration.ts) created more than `--older-than` seconds ago (default an
 * hour), so a run in progress beside this one keeps its own. Tests create their topics and
 * leave them; on a stack that stays (a developer's machine, the demo's own stack between CI
 * runs) they piled up: 1,162 such topics, 2,486 partition directories in all, which the broker
 * loads at every start and the load runs of the demo shared the machine with.
 *
 *   node --import tsx test/support/pruneTestTopics.ts [--older-than 3600]
 */
import { argv } from 'node:process';
import { parseArgs } from 'node:util';

import { testKafka } from './integration.js';

/** The creation time (ms) a test topic's name carries, or undefined when it is not one. */
export function testTopicCreatedAt(topic: string): number | undefined {
  // The name's time and random parts, and what a job derived from it appended (`-…-changelog`, `.dlq`).
  const match = /^test\..+?\.([0-9a-z]{8})\.[0-9a-f]{6}(?:$|[.-])/.exec(topic);
  if (match?.[1] === undefined) {
    return undefined;
  }
  const at = parseInt(match[1], 36);
  return Number.isSafeInteger(at) ? at : undefined;
}

/** The topics of `topics` that tests created before `before` (ms). */
export function staleTestTopics(topics: readonly string[], before: number): string[] {
  return topics.filter((topic) => {
    const at = testTopicCreatedAt(topic);
    return at !== undefined && at < before;
  });
}

async function prune(olderThanSeconds: number): Promise<void> {
  const admin = testKafka('test-prune').admin();
  await admin.connect();
  try {
    const stale = staleTestTopics(await admin.listTopics(), Date.now() - olderThanSeconds * 1000);
    // In slices: one request naming a thousand topics outlasts the admin's request timeout.
    for (let at = 0; at < stale.length; at += 100) {
      await admin.deleteTopics({ topics: stale.slice(at, at + 100), timeout: 30_000 });
    }
    process.stdout.write(
      `pruned ${stale.length} topics that test runs left more than ${olderThanSeconds} s ago\n`,
    );
  } finally {
    await admin.disconnect();
  }
}

if (argv[1]?.endsWith('pruneTestTopics.ts') === true) {
  const { values } = parseArgs({ options: { 'older-than': { type: 'string', default: '3600' } } });
  const seconds = Number(values['older-than']);
  if (!(seconds >= 0)) {
    process.stderr.write('--older-than takes seconds (a number ≥ 0)\n');
    process.exit(2);
  }
  await prune(seconds);
}
