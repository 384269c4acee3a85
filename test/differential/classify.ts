import type { Case } from './cases.js';
import { sessionStates } from './sessionModel.js';
import { joinStates, lateForUs, retentionExplains } from './windowedJoinRules.js';

/**
 * Compares what reelstream and Kafka Streams emitted for a case, input record by input record,
 * and says whether they are identical, differ only in documented ways (knownDifferences.json,
 * docs/windows.md "Differences from Kafka Streams"), or differ in a way nobody documented.
 *
 * Two kinds of documented difference:
 * - per record, a *normalization* that makes both outputs of that record comparable (order of
 *   updates, a retraction Kafka Streams adds, a window it cannot emit any more); once applied,
 *   the two must be equal, and the comparison goes on with the next record;
 * - a *divergence*: an input after which the two legitimately hold different state, so every
 *   later output may differ; it must be visible in the input up to the first record whose
 *   outputs differ, and the comparison stops there.
 * Anything else is a failure, reported with the case, so it can be fixed or documented.
 */

export type Verdict =
  | { readonly kind: 'identical' }
  | { readonly kind: 'documented'; readonly differences: readonly string[] }
  | {
      readonly kind: 'failing';
      readonly record: number;
      readonly ours: readonly string[];
      readonly theirs: readonly string[];
    };

interface Window {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/** `out:<key>@<start>@<end>=<value>` → the window. */
function windowOf(output: string): Window | undefined {
  const match = /^out:(.*)@(-?\d+)@(-?\d+)=/.exec(output);
  return match === null
    ? undefined
    : { key: match[1] ?? '', start: Number(match[2]), end: Number(match[3]) };
}

const sorted = (list: readonly string[]): string[] => [...list].sort();
const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** What Kafka Streams can still emit at close (see knownDifferences.json, emit-close-retention). */
interface RetentionTracker {
  /** Call per record in order; the highest window start Kafka Streams' store has seen. */
  readonly observe: (index: number) => number;
  readonly retention: number;
}

/**
 * Kafka Streams' window stores answer a fetch only for windows whose start is at least
 * `observed - retention + 1`, where `observed` is the highest window start ever written and
 * the retention defaults to size + grace (fixed windows) or 2 × time difference + grace
 * (sliding). A window that closes after that no longer exists for it at close.
 */
function retentionTracker(testCase: Case & { kind: 'window' }): RetentionTracker | undefined {
  const { window } = testCase;
  if (window.type === 'session') {
    return undefined;
  }
  const width = window.type === 'sliding' ? window.diff : window.size;
  const retention =
    window.type === 'sliding' ? 2 * window.diff + window.grace : window.size + window.grace;
  let streamTime = Number.NEGATIVE_INFINITY;
  let observed = Number.NEGATIVE_INFINITY;
  return {
    retention,
    observe: (index) => {
      const ts = testCase.records[index]?.ts ?? 0;
      // The newest window the record is written to starts at: its left window (sliding), or
      // the last multiple of the advance at or before it (fixed). Late records write nothing.
      const newest =
        window.type === 'sliding'
          ? ts - width
          : ts - (((ts % window.advance) + window.advance) % window.advance);
      const late =
        window.type === 'sliding'
          ? ts + window.grace < streamTime
          : newest + width + window.grace <= streamTime;
      streamTime = Math.max(streamTime, ts);
      if (!late) {
        observed = Math.max(observed, newest);
      }
      return observed;
    },
  };
}

export function classify(
  testCase: Case,
  ours: readonly string[][],
  theirs: readonly string[][],
): Verdict {
  const differences = new Set<string>();
  const tracker =
    testCase.kind === 'window' && testCase.emit === 'close'
      ? retentionTracker(testCase)
      : undefined;
  const joinStatesOf = testCase.kind === 'windowedJoin' ? joinStates(testCase) : [];
  for (let i = 0; i < testCase.records.length; i += 1) {
    const observed = tracker?.observe(i);
    let a = ours[i] ?? [];
    let b = theirs[i] ?? [];
    if (same(a, b)) {
      continue;
    }
    if (testCase.kind === 'window') {
      const { window, emit } = testCase;
      if (window.type === 'session' && emit === 'update') {
        // A record inside a session: Kafka Streams retracts the session and emits it again.
        const kept = b.filter(
          (out, j) => !(out.endsWith('=null') && windowKey(b[j + 1]) === windowKey(out)),
        );
        if (kept.length !== b.length) {
          b = kept;
          differences.add('session-retraction-of-unchanged-session');
        }
      }
      if (window.type === 'sliding') {
        const deduplicated = b.filter((out, j) => out !== b[j - 1]);
        if (deduplicated.length !== b.length) {
          b = deduplicated;
          differences.add('sliding-window-emitted-twice');
        }
      }
      if (tracker !== undefined && observed !== undefined) {
        const lost = a.filter((out) => {
          const w = windowOf(out);
          return w !== undefined && !b.includes(out) && w.start < observed - tracker.retention + 1;
        });
        if (lost.length > 0) {
          a = a.filter((out) => !lost.includes(out));
          differences.add('emit-close-retention');
        }
      }
      if (!same(a, b) && same(sorted(a), sorted(b))) {
        // The same outputs in another order: documented for sliding updates, and at close for
        // windows with equal ends only (both forward closed windows by end).
        if (emit === 'update' && window.type === 'sliding') {
          differences.add('sliding-update-order');
          continue;
        }
        const ends = (list: readonly string[]): string =>
          list.map((o) => windowOf(o)?.end).join(',');
        if (
          emit === 'close' &&
          window.type !== 'tumbling' &&
          window.type !== 'hopping' &&
          ends(a) === ends(b)
        ) {
          differences.add('close-order-of-equal-ends');
          continue;
        }
      }
      if (same(a, b)) {
        continue;
      }
      const divergence = explainDivergence(testCase, i);
      if (divergence !== undefined) {
        differences.add(divergence);
        return { kind: 'documented', differences: [...differences] };
      }
    }
    const joinState = joinStatesOf[i];
    if (testCase.kind === 'windowedJoin' && joinState !== undefined) {
      // A late record anywhere up to here: we neither joined nor buffered it, Kafka Streams did.
      if (joinStatesOf.slice(0, i + 1).some((state, j) => lateForUs(testCase, j, state))) {
        differences.add('windowed-join-late');
        return { kind: 'documented', differences: [...differences] };
      }
      const extra = { ours: minus(a, b), theirs: minus(b, a) };
      if (
        retentionExplains(testCase, { index: i, state: joinState }, extra) &&
        same(minus(a, extra.ours), minus(b, extra.theirs))
      ) {
        differences.add('windowed-join-retention');
        continue;
      }
    }
    return { kind: 'failing', record: i, ours: ours[i] ?? [], theirs: theirs[i] ?? [] };
  }
  return differences.size === 0
    ? { kind: 'identical' }
    : { kind: 'documented', differences: [...differences] };
}

/** `list` without one occurrence of each of `removed`, in order. */
function minus(list: readonly string[], removed: readonly string[]): string[] {
  const left = [...removed];
  return list.filter((item) => {
    const at = left.indexOf(item);
    if (at < 0) {
      return true;
    }
    left.splice(at, 1);
    return false;
  });
}

function windowKey(output: string | undefined): string | undefined {
  return output?.replace(/=.*$/, '');
}

/**
 * The documented divergences whose cause is in the input up to record `upTo`: after them the
 * two keep different state, so their outputs may differ from there on.
 */
function explainDivergence(testCase: Case & { kind: 'window' }, upTo: number): string | undefined {
  const { window, records } = testCase;
  const prefix = records.slice(0, upTo + 1);
  if (window.type === 'session') {
    // Kafka Streams no longer finds a session once end + gap + grace equals stream time; we
    // still merge a record within its gap into it.
    const states = sessionStates(prefix, window.gap, window.grace);
    const boundary = prefix.some((record, i) => {
      const state = states[i];
      return (
        state !== undefined &&
        state.sessions.some(
          ([start, end]) =>
            end + window.gap + window.grace === state.streamTime &&
            start - window.gap <= record.ts &&
            record.ts <= end + window.gap,
        )
      );
    });
    return boundary ? 'session-boundary-at-end-gap-grace' : undefined;
  }
  if (window.type === 'sliding') {
    // A record late for its own window but not for later ones: Kafka Streams drops it, we add
    // it to the windows still open.
    let streamTime = Number.NEGATIVE_INFINITY;
    for (const record of prefix) {
      if (
        record.ts + window.grace < streamTime &&
        record.ts + window.diff + window.grace >= streamTime
      ) {
        return 'sliding-late-for-own-window';
      }
      streamTime = Math.max(streamTime, record.ts);
    }
  }
  return undefined;
}
