import type { NextRecord } from './lagModel.js';

/**
 * Age of the oldest unconsumed record, in seconds. Where the record at the committed offset could
 * be read, its timestamp gives the age directly. Otherwise (retention deleted it, the read failed)
 * it is interpolated, as kafka-lag-exporter does, over sampled log-end offsets: the time at which
 * the log end passed the committed offset is when that record was written. The result is always a
 * finite number of seconds >= 0.
 */
export type TimeLagSource = 'caught-up' | 'record' | 'interpolated' | 'extrapolated' | 'unknown';

export interface TimeLag {
  readonly seconds: number;
  readonly source: TimeLagSource;
}

/** One sampled log-end offset of a partition. */
export interface LogEndPoint {
  readonly atMs: number;
  readonly logEndOffset: number;
}

export interface TimeLagInput {
  readonly committedOffset: number;
  /** Lag that counts (transaction markers excluded). */
  readonly lag: number;
  readonly nextRecord: NextRecord | 'nothing-to-read' | undefined;
  /** Sampled log-end offsets of the partition, any order; the current one included. */
  readonly history: readonly LogEndPoint[];
  readonly nowMs: number;
}

export function estimateTimeLag(input: TimeLagInput): TimeLag {
  const { committedOffset, lag, nextRecord, nowMs } = input;
  if (lag <= 0 || nextRecord === 'nothing-to-read') {
    return { seconds: 0, source: 'caught-up' };
  }
  // A timestamp of -1 (no timestamp) or one far in the future is no evidence of age.
  if (nextRecord !== undefined && nextRecord.timestampMs > 0) {
    return { seconds: toSeconds(nowMs - nextRecord.timestampMs), source: 'record' };
  }
  return interpolate(committedOffset, input.history, nowMs);
}

function interpolate(offset: number, history: readonly LogEndPoint[], nowMs: number): TimeLag {
  // Keep, for each log-end offset, the earliest time it was seen: that is when the log got there.
  const points = [...history]
    .sort((a, b) => a.atMs - b.atMs)
    .filter((p, i, all) => i === 0 || p.logEndOffset > (all[i - 1]?.logEndOffset ?? -1));
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) {
    return { seconds: 0, source: 'unknown' };
  }
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (a !== undefined && b !== undefined && a.logEndOffset <= offset && offset < b.logEndOffset) {
      const fraction = (offset - a.logEndOffset) / (b.logEndOffset - a.logEndOffset);
      return {
        seconds: toSeconds(nowMs - (a.atMs + fraction * (b.atMs - a.atMs))),
        source: 'interpolated',
      };
    }
  }
  if (offset < first.logEndOffset && last !== first && last.logEndOffset > first.logEndOffset) {
    // Before the first sample: extrapolate with the average rate over all samples.
    const msPerOffset = (last.atMs - first.atMs) / (last.logEndOffset - first.logEndOffset);
    const writtenAt = first.atMs - (first.logEndOffset - offset) * msPerOffset;
    return { seconds: toSeconds(nowMs - writtenAt), source: 'extrapolated' };
  }
  // One sample, or a log end that never moved: the record is at least as old as the first sample.
  return { seconds: toSeconds(nowMs - first.atMs), source: 'unknown' };
}

/** Milliseconds to seconds, clamped to >= 0, rounded to 0.1 s; never NaN or infinite. */
function toSeconds(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    return 0;
  }
  return Math.round(ms / 100) / 10;
}
