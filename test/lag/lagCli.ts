import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { connection } from '../support/integration.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'jobs', 'cli', 'main.js');

/** `reelstream lag ...args` from the build, against the test cluster. */
export function reelstreamLag(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const result = spawnSync(process.execPath, [cli, 'lag', ...args], {
    encoding: 'utf8',
    env: { ...process.env, REELSTREAM_BROKERS: connection.brokers.join(',') },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `reelstream lag ...args` without blocking this process, so a server in the test (a silent
 * listener, a metrics port) keeps answering while the CLI runs. `env` is added to the test's.
 */
export function reelstreamLagAsync(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'lag', ...args], {
    env: { ...process.env, REELSTREAM_BROKERS: connection.brokers.join(','), ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (status) =>
      resolve({ status, stdout, stderr, elapsedMs: performance.now() - started }),
    ),
  );
}

/** The subset of `reelstream lag --json` these tests read. */
export interface LagJson {
  /** When the report's snapshot was taken (ISO 8601): the "now" of its time lags. */
  generatedAt?: string;
  status: string;
  groups: {
    group: string;
    state: string;
    status: string;
    reason: string;
    members: number;
    partitions: {
      topic: string;
      partition: number;
      committedOffset: number | null;
      logEndOffset: number | null;
      lag: number | null;
      effectiveLag: number | null;
      lostRecords: number | null;
      timeLagSeconds: number | null;
      timeLagSource: string | null;
      consumerId: string | null;
      host: string | null;
      clientId: string | null;
      status: string;
      reason: string;
    }[];
  }[];
}

/** A regular expression that matches exactly the groups whose id starts with `prefix`. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`;
}

/**
 * Apache Kafka's own jars as the local stack fetched them: the version pinned in
 * deploy/local/kafka/pom.xml, under REELSTREAM_CACHE_DIR / REELSTREAM_HOME / ~/.cache/reelstream.
 */
export function kafkaLibs(): string | undefined {
  const pom = readFileSync(join(root, 'deploy', 'local', 'kafka', 'pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  const cache =
    process.env['REELSTREAM_CACHE_DIR'] ??
    process.env['REELSTREAM_HOME'] ??
    join(homedir(), '.cache', 'reelstream');
  const libs = join(cache, `kafka-${version ?? 'unknown'}`, 'libs');
  return version !== undefined && existsSync(libs) ? libs : undefined;
}

/** One row of `kafka-consumer-groups.sh --describe`, cells as printed. */
export interface KafkaToolRow {
  group: string;
  topic: string;
  partition: string;
  currentOffset: string;
  logEndOffset: string;
  lag: string;
  consumerId: string;
  host: string;
  clientId: string;
}

/** Kafka's ConsumerGroupCommand --describe (plus `extra` options): the lines of its groups, split. */
function consumerGroupCommand(
  libs: string,
  groups: readonly string[],
  extra: readonly string[] = [],
): string[][] {
  const output = execFileSync(
    'java',
    [
      '-cp',
      join(libs, '*'),
      'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      '--bootstrap-server',
      connection.brokers.join(','),
      '--describe',
      ...extra,
      ...groups.flatMap((g) => ['--group', g]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const wanted = new Set(groups);
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => wanted.has(cells[0] ?? ''));
}

/** `--describe --state`: each group's STATE and #MEMBERS (the last two columns). */
export function kafkaConsumerGroupsStates(
  libs: string,
  groups: readonly string[],
): Map<string, { state: string; members: number }> {
  return new Map(
    consumerGroupCommand(libs, groups, ['--state']).map((cells) => [
      cells[0] ?? '',
      { state: cells[cells.length - 2] ?? '', members: Number(cells[cells.length - 1]) },
    ]),
  );
}

/** Runs Kafka's ConsumerGroupCommand --describe for the groups and parses its rows. */
export function kafkaConsumerGroupsDescribe(
  libs: string,
  groups: readonly string[],
): KafkaToolRow[] {
  return consumerGroupCommand(libs, groups)
    .filter((cells) => cells.length >= 9)
    .map((cells) => ({
      group: cells[0] ?? '',
      topic: cells[1] ?? '',
      partition: cells[2] ?? '',
      currentOffset: cells[3] ?? '',
      logEndOffset: cells[4] ?? '',
      lag: cells[5] ?? '',
      consumerId: cells[6] ?? '',
      host: cells[7] ?? '',
      clientId: cells[8] ?? '',
    }));
}
