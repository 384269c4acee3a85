import type { Admin, Kafka } from 'kafkajs';

import { readCommittedTopic } from '../support/readTopic.js';
import { videoNumbers } from './generator.js';
import type { ExpectedCounts } from './topology.js';
import { isFinal } from './topology.js';

/** What an engine's output topic held, against the exact counts. */
export interface OutputCheck {
  /** Committed records in the output topic. */
  readonly outputRecords: number;
  /** Distinct windows of the input among their keys. */
  readonly windowsSeen: number;
  /** Final windows (end + grace <= the largest event time) that had records: those checked. */
  readonly finalWindows: number;
  /** Final windows with no output record. */
  readonly missing: number;
  /** Final windows whose last output value is not the exact count. */
  readonly wrong: number;
  /** Keys that are no window of the input (bad format, unknown video, no record in it). */
  readonly unexpected: number;
}

/** Last values are kept as counts + 1 in a Uint16Array: 0 = no record. */
const largestCount = 0xfffe;

/**
 * Reads an engine's output topic (read_committed), keeps the last value per key, and compares it
 * with the exact count of every final window.
 */
export async function checkOutput(
  clients: { kafka: Kafka; admin: Admin },
  topic: string,
  expected: ExpectedCounts,
): Promise<OutputCheck> {
  const { grid, counts } = expected;
  const videos = videoNumbers();
  const lastPlusOne = new Uint16Array(grid.slots);
  let unexpected = 0;
  const outputRecords = await readCommittedTopic({
    ...clients,
    topic,
    onMessage: (message) => {
      const key = message.key?.toString('utf8') ?? '';
      const at = key.lastIndexOf('@');
      const video = videos.get(key.slice(0, at));
      const slot =
        at < 0 || video === undefined ? undefined : grid.slotOf(video, Number(key.slice(at + 1)));
      const value = Number(message.value?.toString('utf8'));
      if (slot === undefined || counts[slot] === 0) {
        unexpected++;
        return;
      }
      lastPlusOne[slot] =
        Number.isInteger(value) && value >= 0 ? Math.min(value, largestCount) + 1 : 0xffff;
    },
  });
  let windowsSeen = 0;
  let finalWindows = 0;
  let missing = 0;
  let wrong = 0;
  for (let slot = 0; slot < grid.slots; slot++) {
    const last = lastPlusOne[slot] ?? 0;
    if (last !== 0) {
      windowsSeen++;
    }
    const count = counts[slot] ?? 0;
    if (count === 0 || !isFinal(grid.startOfSlot(slot), expected)) {
      continue;
    }
    finalWindows++;
    if (last === 0) {
      missing++;
    } else if (last - 1 !== count) {
      wrong++;
    }
  }
  return { outputRecords, windowsSeen, finalWindows, missing, wrong, unexpected };
}

/** `ok` or what is off, for the report. */
export function describeCheck(check: OutputCheck): string {
  const problems = [
    check.missing > 0 ? `${check.missing} missing` : '',
    check.wrong > 0 ? `${check.wrong} wrong` : '',
    check.unexpected > 0 ? `${check.unexpected} unexpected keys` : '',
  ].filter((problem) => problem !== '');
  return problems.length === 0
    ? `ok (${check.finalWindows} final windows)`
    : `${check.missing + check.wrong + check.unexpected} MISMATCHES: ${problems.join(', ')} (of ${check.finalWindows})`;
}

/** Whether the output matched the exact counts. */
export function checkPassed(check: OutputCheck): boolean {
  return check.missing === 0 && check.wrong === 0 && check.unexpected === 0;
}
