import { spawn } from 'node:child_process';
import { join } from 'node:path';

import type { Admin } from 'kafkajs';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { reachable, type Reach } from './reachable.js';

/** Without a `reach` of the caller's, calls are retried through outages without a log line. */
const quietly = reachable();

/** How far the job's consumer group has committed on some topics. */
export interface GroupProgress {
  readonly committed: number;
  /** Sum of the partitions' last stable offsets (the high watermark where no transaction is open). */
  readonly end: number;
}

/**
 * Sums over the partitions of `topics` the group's committed offset and the end offset. Cheap
 * (two requests per topic): polled while the job runs. kafkajs's `fetchTopicOffsets` gives the
 * last stable offset, which the group reaches once it has consumed everything (the input is
 * written without transactions; on repartition topics the runtime commits past the markers).
 */
export async function groupProgress(
  admin: Admin,
  options: { groupId: string; topics: readonly string[]; reach?: Reach },
): Promise<GroupProgress> {
  const reach = options.reach ?? quietly;
  const [committed, ends] = await reach('committed offsets', () =>
    Promise.all([
      admin.fetchOffsets({ groupId: options.groupId, topics: [...options.topics] }),
      Promise.all(options.topics.map((topic) => admin.fetchTopicOffsets(topic))),
    ]),
  );
  return {
    committed: committed
      .flatMap((t) => t.partitions)
      .reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0),
    end: ends.flat().reduce((sum, p) => sum + Number(p.high), 0),
  };
}

/**
 * The topics the job consumes: the input, the topic it writes and reads back as a table (`rows`)
 * and its repartition topics, found by the names the runtime gives them
 * (`<applicationId>-<name>-repartition`, docs/framework.md).
 */
export async function consumedTopics(
  admin: Admin,
  options: { applicationId: string; input: string; rows: string; reach?: Reach },
): Promise<{ topic: string; partitions: number }[]> {
  const reach = options.reach ?? quietly;
  const repartition = (await reach('list topics', () => admin.listTopics())).filter(
    (topic) => topic.startsWith(`${options.applicationId}-`) && topic.endsWith('-repartition'),
  );
  const metadata = await reach('topic metadata', () =>
    admin.fetchTopicMetadata({ topics: [options.input, options.rows, ...repartition] }),
  );
  return metadata.topics.map((t) => ({ topic: t.name, partitions: t.partitions.length }));
}

/** The group's state and member ids, as the coordinator describes them. */
export async function groupMembers(
  admin: Admin,
  groupId: string,
  reach: Reach = quietly,
): Promise<{ state: string; members: string[] }> {
  const described = await reach('describe group', () => admin.describeGroups([groupId]));
  const group = described.groups.find((g) => g.groupId === groupId);
  return {
    state: group?.state ?? 'Dead',
    members: (group?.members ?? []).map((member) => member.memberId),
  };
}

/** What `reelstream lag --json` says about one group (the fields used here; docs/lag.md). */
interface LagDocument {
  readonly groups: readonly {
    readonly group: string;
    readonly partitions: readonly {
      readonly topic: string;
      readonly partition: number;
      readonly effectiveLag: number | null;
      readonly committedOffset: number | null;
      readonly logEndOffset: number | null;
    }[];
  }[];
}

/**
 * Whether the group has consumed everything on every partition of `topics` (the input and the
 * job's repartition topics), as `reelstream lag` (jobs/lag) sees it: the effective lag, which
 * does not count the transaction markers and aborted records a read_committed consumer never
 * gets, must be 0; a partition never written to (log end 0) and never committed counts as 0. A
 * partition the lag report does not list at all (never committed, and not assigned at the
 * moment) is behind too. Run as the CLI, because nothing may import from jobs/;
 * `env` says which cluster (REELSTREAM_BROKERS, …). While the broker is away the CLI fails, and
 * that counts as behind: the caller polls again.
 *
 * @returns undefined when caught up, otherwise what is still behind
 */
export async function groupBehind(
  groupId: string,
  topics: readonly { topic: string; partitions: number }[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const pattern = groupId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const output = await runLagCli(
    ['lag', '-g', pattern, '--json', '--no-state', '--timeout', '15'],
    env,
  );
  if (output.code !== 0) {
    return `reelstream lag exited ${String(output.code)}: ${output.stderr.trim()}`;
  }
  const document = JSON.parse(output.stdout) as LagDocument;
  const group = document.groups.find((g) => g.group === groupId);
  if (group === undefined) {
    return 'the group is not listed';
  }
  // A partition never written to (log end 0) has nothing to consume, so the group never commits
  // it: caught up. Few keys (the table re-aggregation's categories) leave some partitions empty.
  const lags = new Map(
    group.partitions.map((p) => [
      `${p.topic}[${p.partition}]`,
      p.committedOffset === null && p.logEndOffset === 0 ? 0 : p.effectiveLag,
    ]),
  );
  const behind: string[] = [];
  for (const { topic, partitions } of topics) {
    for (let partition = 0; partition < partitions; partition++) {
      const name = `${topic}[${partition}]`;
      const lag = lags.get(name);
      if (lag !== 0) {
        behind.push(`${name} ${lag === undefined ? 'not listed' : `lag ${lag ?? 'no offset'}`}`);
      }
    }
  }
  return behind.length === 0 ? undefined : behind.join(', ');
}

function runLagCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'jobs', 'cli', 'main.ts'), ...args],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ code: null, stdout, stderr: error.message }));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
