import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A global table's checkpoint (operators/runtime/globalStateManager.ts writes it per batch). */
export interface GlobalTableCheckpoint {
  readonly table: string;
  readonly topic: string;
  /** Per partition, the offset of the next record to apply. */
  readonly offsets: ReadonlyMap<number, bigint>;
}

/** Per partition of a topic, its low and high watermarks. */
export type TopicEnds = ReadonlyMap<number, { readonly low: bigint; readonly high: bigint }>;

/**
 * The checkpoints of a job's global tables, from `<stateDir>/global/<table>/checkpoint.json`;
 * tables without a readable one are left out.
 */
export function readGlobalCheckpoints(stateDir: string): GlobalTableCheckpoint[] {
  const root = join(stateDir, 'global');
  if (!existsSync(root)) {
    return [];
  }
  const checkpoints: GlobalTableCheckpoint[] = [];
  for (const table of readdirSync(root).sort()) {
    try {
      const json = JSON.parse(readFileSync(join(root, table, 'checkpoint.json'), 'utf8')) as {
        topic?: unknown;
        offsets?: Record<string, string>;
      };
      if (typeof json.topic === 'string' && typeof json.offsets === 'object') {
        checkpoints.push({
          table,
          topic: json.topic,
          offsets: new Map(
            Object.entries(json.offsets).map(([partition, offset]) => [
              Number(partition),
              BigInt(offset),
            ]),
          ),
        });
      }
    } catch {
      // Being rewritten (write then rename) or not there yet: read at the next poll.
    }
  }
  return checkpoints;
}

/**
 * Records a global table has still to apply: per partition, the high watermark minus the next
 * offset to apply, less one for the commit marker of a transactional topic (the feature job
 * writes exactly-once, so a caught-up reader's next offset is the last marker's, one short of
 * the high watermark). Zero when caught up, within that one offset per partition.
 */
export function recordsBehind(checkpoint: GlobalTableCheckpoint, ends: TopicEnds): number {
  let behind = 0;
  for (const [partition, { low, high }] of ends) {
    const next = checkpoint.offsets.get(partition) ?? low;
    const start = next > low ? next : low;
    const lag = high - start - 1n;
    if (lag > 0n) {
      behind += Number(lag);
    }
  }
  return behind;
}

/**
 * Waits until every global table of the job whose state is in `stateDir` has applied its topic
 * up to the end (recordsBehind is 0), and neither the tables' checkpoints nor their topics' ends
 * have moved for `quietMs`; gives up after `timeoutMs`, saying which tables were behind.
 *
 * The serving job's lists depend on its global tables (co-visitation, the trending and popular
 * lists, video features), so asking before they have caught up makes two runs differ. The quiet
 * period matters as much: the feature job publishes its trending and popular lists on a
 * wall-clock timer (every 5 s, pipelines/trending.ts and popularInRegion.ts), so the last list
 * can be written a few seconds after the job has committed its last input.
 */
export async function waitForGlobalTables(options: {
  stateDir: string;
  topicEnds: (topic: string) => Promise<TopicEnds>;
  pollMs?: number;
  quietMs?: number;
  timeoutMs?: number;
  log: (line: string) => void;
}): Promise<boolean> {
  const pollMs = options.pollMs ?? 500;
  const quietMs = options.quietMs ?? 7_000;
  const deadline = performance.now() + (options.timeoutMs ?? 90_000);
  let previous = '';
  let unchangedSince = performance.now();
  for (;;) {
    const checkpoints = readGlobalCheckpoints(options.stateDir);
    const lagging: string[] = [];
    const seen: string[] = [];
    for (const checkpoint of checkpoints) {
      const ends = await options.topicEnds(checkpoint.topic);
      const behind = recordsBehind(checkpoint, ends);
      if (behind > 0) {
        lagging.push(`${checkpoint.table} ${behind}`);
      }
      seen.push(
        `${checkpoint.table}@${[...checkpoint.offsets].map(([p, o]) => `${p}:${o}`).join(',')}` +
          `/${[...ends].map(([p, e]) => `${p}:${e.high}`).join(',')}`,
      );
    }
    const state = seen.join(' ');
    const now = performance.now();
    if (state !== previous) {
      previous = state;
      unchangedSince = now;
    }
    if (checkpoints.length > 0 && lagging.length === 0 && now - unchangedSince >= quietMs) {
      return true;
    }
    if (now > deadline) {
      options.log(
        `the serving job's global tables had not caught up in time (${checkpoints.length} tables; behind: ${lagging.join(', ') || 'none, but still moving'}); asking anyway`,
      );
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
