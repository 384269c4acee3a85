import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import type { UserList } from './userMetrics.js';

/** Every recommender's lists of one run, by recommender name. */
export type RunLists = ReadonlyMap<string, readonly UserList[]>;

/**
 * A short digest (SHA-256, first 16 hex digits) of one recommender's lists, users in order:
 * two runs that print the same digest returned the same lists to every user.
 */
export function listsDigest(lists: readonly UserList[]): string {
  const hash = createHash('sha256');
  for (const list of lists) {
    hash.update(`${list.userId}:${list.items.join(',')}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * How a run's lists compare with another run's, per recommender present in both: users with the
 * same whole list, and with the same top 10. Users are matched by id.
 */
export function compareRuns(current: RunLists, previous: RunLists): string[] {
  const lines: string[] = [];
  for (const [name, lists] of current) {
    const before = previous.get(name);
    if (before === undefined) {
      lines.push(`  ${name}: not in the previous run`);
      continue;
    }
    const byUser = new Map(before.map((list) => [list.userId, list.items]));
    let same = 0;
    let sameTop10 = 0;
    for (const list of lists) {
      const old = byUser.get(list.userId);
      if (old === undefined) {
        continue;
      }
      if (sameItems(old, list.items)) {
        same++;
      }
      if (sameItems(old.slice(0, 10), list.items.slice(0, 10))) {
        sameTop10++;
      }
    }
    lines.push(
      `  ${name}: same list for ${same} of ${lists.length} users, same top 10 for ${sameTop10}`,
    );
  }
  return lines;
}

/**
 * Writes a run's lists as JSON (`{ name: [[userId, ...items], ...] }`), creating the folder;
 * the file it replaces is kept as `<file>.previous`, so two runs can be diffed user by user.
 */
export function saveRunLists(file: string, lists: RunLists): void {
  const json: Record<string, number[][]> = {};
  for (const [name, userLists] of lists) {
    json[name] = userLists.map((list) => [list.userId, ...list.items]);
  }
  writeKeepingPrevious(file, json);
}

/** Writes `value` as JSON to `file`, first renaming an existing one to `<file>.previous`. */
export function writeKeepingPrevious(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file)) {
    renameSync(file, `${file}.previous`);
  }
  writeFileSync(file, `${JSON.stringify(value)}\n`);
}

/** A run's lists written by saveRunLists; undefined when the file is missing or unreadable. */
export function loadRunLists(file: string): RunLists | undefined {
  if (!existsSync(file)) {
    return undefined;
  }
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number[][]>;
    return new Map(
      Object.entries(json).map(([name, rows]) => [
        name,
        rows.map(([userId, ...items]) => ({ userId: userId ?? -1, items, seenReturned: 0 })),
      ]),
    );
  } catch {
    return undefined;
  }
}

function sameItems(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** One served reply as the evaluation keeps it: `[videoId, score, sources joined by +]` per item. */
export interface ServedReply {
  readonly userId: number;
  readonly degraded: string | null;
  readonly items: readonly (readonly [string, number, string])[];
}

/**
 * How this run's served replies compare with another run's, user by user: identical when the
 * same videos come in the same order with the same sources, the same degraded reason, and
 * scores equal to 1e-9 (relative: a score summed from decayed counts may differ in its last
 * digits with the order they were added in).
 */
export function compareServedReplies(
  current: readonly ServedReply[],
  previous: readonly ServedReply[],
): string {
  const before = new Map(previous.map((reply) => [reply.userId, reply]));
  let same = 0;
  const differing: number[] = [];
  for (const reply of current) {
    const old = before.get(reply.userId);
    if (old !== undefined && sameReply(reply, old)) {
      same++;
    } else {
      differing.push(reply.userId);
    }
  }
  const examples =
    differing.length === 0 ? '' : `; users that differ, e.g. ${differing.slice(0, 10).join(', ')}`;
  return `  served replies: identical for ${same} of ${current.length} users (items, order, sources, scores to 1e-9)${examples}`;
}

function sameReply(a: ServedReply, b: ServedReply): boolean {
  return (
    a.degraded === b.degraded &&
    a.items.length === b.items.length &&
    a.items.every((item, index) => {
      const other = b.items[index];
      return (
        other !== undefined &&
        item[0] === other[0] &&
        item[2] === other[2] &&
        Math.abs(item[1] - other[1]) <= 1e-9 * Math.max(Math.abs(item[1]), Math.abs(other[1]))
      );
    })
  );
}

/** Served replies written by the evaluation; undefined when the file is missing or unreadable. */
export function loadServedReplies(file: string): ServedReply[] | undefined {
  if (!existsSync(file)) {
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServedReply[];
  } catch {
    return undefined;
  }
}
