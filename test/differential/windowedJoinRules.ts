import type { Case, CaseRecord } from './cases.js';

/**
 * The documented differences of windowed stream–stream joins (docs/framework.md, "Windowed
 * joins"; knownDifferences.json), as rules on a case's input:
 *
 * - `windowed-join-late`: a record whose window ended more than grace before the join's stream
 *   time is late for us (late output, not joined, not buffered); Kafka Streams has no such
 *   rule for inner joins and joins it with whatever its other side's store still returns,
 *   and buffers it. The two hold different buffers from there on.
 * - `windowed-join-retention`: which buffered records a join still sees near the end of the
 *   retention (before + after + grace). Kafka Streams' store of each side returns only records
 *   newer than that side's newest record minus the retention; ours keeps a record until
 *   stream time (both sides) passes it by the retention and the record is expired.
 */

type JoinCase = Case & { kind: 'windowedJoin' };

interface JoinState {
  /** Our stream time before the record: the highest timestamp of either side. */
  readonly streamTime: number;
  /** Per side, the newest timestamp Kafka Streams' store has been written with. */
  readonly newest: { readonly left: number; readonly right: number };
}

const joinable = (r: CaseRecord): boolean => r.key !== null && r.value !== null;

/** Per record, the state it met. */
export function joinStates(testCase: JoinCase): JoinState[] {
  let streamTime = Number.NEGATIVE_INFINITY;
  const newest = { left: Number.NEGATIVE_INFINITY, right: Number.NEGATIVE_INFINITY };
  const states: JoinState[] = [];
  for (const record of testCase.records) {
    states.push({ streamTime, newest: { ...newest } });
    if (joinable(record)) {
      streamTime = Math.max(streamTime, record.ts);
      const side = record.topic === 'left' ? 'left' : 'right';
      newest[side] = Math.max(newest[side], record.ts);
    }
  }
  return states;
}

/** Whether the record is late for us: its window ended more than grace before stream time. */
export function lateForUs(testCase: JoinCase, index: number, state: JoinState): boolean {
  const record = testCase.records[index];
  if (record === undefined || !joinable(record)) {
    return false;
  }
  const { before, after, grace } = testCase.windows;
  const ahead = record.topic === 'left' ? after : before;
  return record.ts + ahead + grace < state.streamTime;
}

/**
 * The outputs of record `index` that only one side has because of the retention rule: an
 * output whose partner (the other side's record, found by its unique value) Kafka Streams'
 * store no longer returns, or that our buffer may already have expired.
 */
export function retentionExplains(
  testCase: JoinCase,
  at: { readonly index: number; readonly state: JoinState },
  extra: { readonly ours: readonly string[]; readonly theirs: readonly string[] },
): boolean {
  const { index, state } = at;
  const record = testCase.records[index];
  if (record === undefined) {
    return false;
  }
  const { before, after, grace } = testCase.windows;
  const retention = before + after + grace;
  const otherSide = record.topic === 'left' ? 'right' : 'left';
  // Kafka Streams advances the other side's store time with this record's own put only on its
  // side, so the other side's newest time is the one before the record.
  const hiddenFromThem = state.newest[otherSide] - retention + 1;
  const expiredByUs = Math.max(state.streamTime, record.ts) - retention;
  const partnerTime = (output: string): number | undefined => {
    const joined = output.slice(output.indexOf('=') + 1).split('+');
    const partner = record.topic === 'left' ? joined[1] : joined[0];
    return testCase.records.find((r) => r.topic === otherSide && r.value === partner)?.ts;
  };
  return (
    extra.ours.every((o) => (partnerTime(o) ?? Number.POSITIVE_INFINITY) < hiddenFromThem) &&
    extra.theirs.every((o) => (partnerTime(o) ?? Number.POSITIVE_INFINITY) <= expiredByUs)
  );
}
