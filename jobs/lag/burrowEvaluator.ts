import type { PartitionSample } from './partitionSample.js';

/**
 * Burrow's consumer status rules (https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules),
 * evaluated over polled samples. Pure: the clock is an argument, nothing here talks to Kafka.
 */
export type LagStatus = 'OK' | 'WARN' | 'ERR';

/**
 * Why a status was given. OK: CAUGHT_UP (lag within the allowance now or at some point in the
 * window), CATCHING_UP (lag shrinks), NO_OFFSET (nothing committed yet), INSUFFICIENT_DATA (too
 * few samples in the window to judge). WARN: SLOW. ERR: STOP, STALL, REWIND; and, judged from the
 * current offsets alone (offsetChecks.ts), BEYOND_LOG_END (committed offset past the log end) and
 * RECORDS_LOST (records the group never read were deleted).
 */
export type StatusReason =
  | 'CAUGHT_UP'
  | 'CATCHING_UP'
  | 'NO_OFFSET'
  | 'INSUFFICIENT_DATA'
  | 'SLOW'
  | 'STOP'
  | 'STALL'
  | 'REWIND'
  | 'BEYOND_LOG_END'
  | 'RECORDS_LOST';

export interface Evaluation {
  readonly status: LagStatus;
  readonly reason: StatusReason;
}

export interface EvaluatorSettings {
  /** Length of the sliding window, milliseconds. */
  readonly windowMs: number;
  /** Lag at or below this counts as caught up (Burrow uses 0). */
  readonly allowedLag: number;
  /** Fewer samples than this inside the window are not judged (except STOP, which is about time). */
  readonly minSamples: number;
}

export const defaultEvaluatorSettings: EvaluatorSettings = {
  windowMs: 10 * 60_000,
  allowedLag: 0,
  minSamples: 3,
};

const severity: Record<LagStatus, number> = { OK: 0, WARN: 1, ERR: 2 };

/** The worse of two statuses (ERR > WARN > OK). */
export function worseStatus(a: LagStatus, b: LagStatus): LagStatus {
  return severity[b] > severity[a] ? b : a;
}

/**
 * Status of one partition. `samples` is the partition's history, oldest first, its last element
 * being the current observation; samples older than the window still help to date the last offset
 * change. Rules, in Burrow's order:
 *
 * 1. Current lag within the allowance: OK (CAUGHT_UP). No committed offset: OK (NO_OFFSET).
 * 2. STOP: no active member owns the partition and the committed offset has neither moved nor been
 *    caught up for longer than the window.
 * 3. Too few samples in the window: OK (INSUFFICIENT_DATA).
 * 4. Lag within the allowance at any sample of the window: OK (CAUGHT_UP).
 * 5. REWIND: the offset went backwards inside the window and is still below where it was.
 * 6. STALL: the offset did not move across the whole window while lag stayed above the allowance.
 * 7. WARN (SLOW): offsets advance but lag never shrinks from one sample to the next.
 * 8. Otherwise OK (CATCHING_UP).
 */
export function evaluatePartition(
  samples: readonly PartitionSample[],
  nowMs: number,
  settings: EvaluatorSettings = defaultEvaluatorSettings,
): Evaluation {
  const current = samples[samples.length - 1];
  if (current?.offset === null || current?.offset === undefined || current.lag === null) {
    return { status: 'OK', reason: 'NO_OFFSET' };
  }
  const withinAllowance = (s: PartitionSample): boolean => caughtUp(s, settings);
  if (withinAllowance(current)) {
    return { status: 'OK', reason: 'CAUGHT_UP' };
  }

  if (!current.owned && nowMs - lastActivityMs(samples, settings) > settings.windowMs) {
    return { status: 'ERR', reason: 'STOP' };
  }

  const window = samples.filter((s) => s.atMs >= nowMs - settings.windowMs && s.offset !== null);
  if (window.length < settings.minSamples) {
    return { status: 'OK', reason: 'INSUFFICIENT_DATA' };
  }
  if (window.some(withinAllowance)) {
    return { status: 'OK', reason: 'CAUGHT_UP' };
  }
  const offsets = window.map((s) => s.offset ?? 0);
  if (hasUnrecoveredRewind(offsets)) {
    return { status: 'ERR', reason: 'REWIND' };
  }
  if (offsets.every((o) => o === offsets[0])) {
    return { status: 'ERR', reason: 'STALL' };
  }
  const lags = window.map((s) => s.lag ?? 0);
  if (lags.every((lag, i) => i === 0 || lag >= (lags[i - 1] ?? lag))) {
    return { status: 'WARN', reason: 'SLOW' };
  }
  return { status: 'OK', reason: 'CATCHING_UP' };
}

/**
 * The last moment the partition showed life: when its committed offset took its current value,
 * or when it was last caught up, whichever is later. When the current offset goes back to the
 * oldest sample kept, that sample's time is used: a lower bound, so STOP is never claimed early.
 */
function lastActivityMs(samples: readonly PartitionSample[], settings: EvaluatorSettings): number {
  let caughtUpAt = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    if (caughtUp(s, settings)) {
      caughtUpAt = Math.max(caughtUpAt, s.atMs);
    }
  }
  return Math.max(firstOfTrailingRun(samples), caughtUpAt);
}

/** Time of the first sample of the trailing run of samples that hold the current offset. */
function firstOfTrailingRun(samples: readonly PartitionSample[]): number {
  const current = samples[samples.length - 1];
  let at = current?.atMs ?? 0;
  for (let i = samples.length - 2; i >= 0; i--) {
    const s = samples[i];
    if (s === undefined || s.offset !== current?.offset) {
      break;
    }
    at = s.atMs;
  }
  return at;
}

/** An offset lower than an earlier one in the window, and the current offset still below that peak. */
function hasUnrecoveredRewind(offsets: readonly number[]): boolean {
  let peak = Number.NEGATIVE_INFINITY;
  let rewound = false;
  for (const offset of offsets) {
    if (offset < peak) {
      rewound = true;
    }
    peak = Math.max(peak, offset);
  }
  const last = offsets[offsets.length - 1] ?? 0;
  return rewound && last < peak;
}

/**
 * Lag within the allowance. A negative lag (committed beyond the log end) is not: that consumer
 * is not caught up, its position is invalid.
 */
function caughtUp(s: PartitionSample, settings: EvaluatorSettings): boolean {
  return s.lag !== null && s.lag >= 0 && s.lag <= settings.allowedLag;
}

/**
 * Which reason speaks for the group when several partitions share its worst status: the one that
 * says most about what is wrong or unknown. Among OK partitions a group that is behind somewhere
 * must not read CAUGHT_UP (it once took its first partition's reason, so a group 8 records
 * behind was summarised CAUGHT_UP); a partition that never committed says the least.
 */
const reasonWeight: Record<StatusReason, number> = {
  NO_OFFSET: 0,
  CAUGHT_UP: 1,
  CATCHING_UP: 2,
  INSUFFICIENT_DATA: 3,
  SLOW: 4,
  STOP: 5,
  STALL: 6,
  REWIND: 7,
  RECORDS_LOST: 8,
  BEYOND_LOG_END: 9,
};

/** A group's status is its worst partition's; its reason the weightiest among those partitions. */
export function evaluateGroup(partitions: readonly Evaluation[]): Evaluation {
  let worst: Evaluation | undefined;
  for (const evaluation of partitions) {
    if (
      worst === undefined ||
      severity[evaluation.status] > severity[worst.status] ||
      (evaluation.status === worst.status &&
        reasonWeight[evaluation.reason] > reasonWeight[worst.reason])
    ) {
      worst = evaluation;
    }
  }
  return worst ?? { status: 'OK', reason: 'CAUGHT_UP' };
}
