import type { CaseRecord } from './cases.js';

/**
 * reelstream's session semantics as a plain model (docs/windows.md, "Session windows"), only
 * to tell whether a difference from Kafka Streams is the documented session boundary: which
 * sessions each key has open before each record, and the stream time then. The operator is
 * what the suite tests; this model only explains.
 */
export interface SessionState {
  /** Stream time before the record. */
  readonly streamTime: number;
  /** The key's open sessions before the record, as [start, end]. */
  readonly sessions: readonly (readonly [number, number])[];
}

/** Per record, the state it met. */
export function sessionStates(
  records: readonly CaseRecord[],
  gap: number,
  grace: number,
): SessionState[] {
  const open = new Map<string, [number, number][]>();
  let streamTime = Number.NEGATIVE_INFINITY;
  const states: SessionState[] = [];
  for (const record of records) {
    const key = record.key ?? '';
    states.push({ streamTime, sessions: [...(open.get(key) ?? [])] });
    streamTime = Math.max(streamTime, record.ts);
    // Close what stream time has passed: end + gap + grace < stream time.
    for (const [k, sessions] of open) {
      open.set(
        k,
        sessions.filter(([, end]) => end + gap + grace >= streamTime),
      );
    }
    const sessions = open.get(key) ?? [];
    const touching = sessions.filter(
      ([start, end]) => start - gap <= record.ts && record.ts <= end + gap,
    );
    const start = Math.min(record.ts, ...touching.map(([s]) => s));
    const end = Math.max(record.ts, ...touching.map(([, e]) => e));
    if (end + gap + grace < streamTime) {
      continue; // late: it changes nothing
    }
    open.set(key, [...sessions.filter((s) => !touching.includes(s)), [start, end]]);
  }
  return states;
}
