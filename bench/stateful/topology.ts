import { epochMs } from '../stateless/generator.js';
import { maxDelayMs, placementOf, videoCount } from './generator.js';

/**
 * The computation of bench/stateful, once, for the output check; every engine implements the
 * same (Kafka Streams: StatefulBench.java, Quix: bench/quix/statefulBench.py):
 *
 *   source (key videoId, value BenchWatchEvent, timestamp = eventTime)
 *     -> per key, hopping windows: size 5 min, advance 1 min, grace 1 min (aligned to the epoch)
 *     -> count, in RocksDB; an update per window change (engines may merge updates in a cache)
 *     -> to (key `<videoId>@<windowStartMs>`, value the count as a decimal string)
 */

export interface WindowSpec {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
}

export const benchWindows: WindowSpec = { sizeMs: 300_000, advanceMs: 60_000, graceMs: 60_000 };

/** The output record key of a window. */
export function outputKeyOf(videoId: string, windowStartMs: number): string {
  return `${videoId}@${windowStartMs}`;
}

/** The smallest start of a window holding `timestamp` (windows are [start, start + size)). */
function firstStartOf(timestamp: number, spec: WindowSpec): number {
  const lowest = timestamp - spec.sizeMs + spec.advanceMs;
  return lowest - (((lowest % spec.advanceMs) + spec.advanceMs) % spec.advanceMs);
}

/**
 * Every (video, window start) the input can produce, numbered densely: video-major, one slot per
 * window start from the first window of the earliest possible event to the last of the latest.
 */
export class WindowGrid {
  readonly spec: WindowSpec;
  readonly firstStartMs: number;
  readonly startsPerVideo: number;
  /** Number of slots: videoCount × startsPerVideo. */
  readonly slots: number;

  constructor(spec: WindowSpec, eventTimes: { min: number; max: number }) {
    this.spec = spec;
    this.firstStartMs = firstStartOf(eventTimes.min, spec);
    const lastStart = firstStartOf(eventTimes.max, spec) + spec.sizeMs - spec.advanceMs;
    this.startsPerVideo = (lastStart - this.firstStartMs) / spec.advanceMs + 1;
    this.slots = videoCount * this.startsPerVideo;
  }

  /** The slot of a window, or undefined for a start outside the grid or between two starts. */
  slotOf(video: number, windowStartMs: number): number | undefined {
    const offset = windowStartMs - this.firstStartMs;
    const step = offset / this.spec.advanceMs;
    if (!Number.isInteger(step) || step < 0 || step >= this.startsPerVideo) {
      return undefined;
    }
    if (!Number.isInteger(video) || video < 0 || video >= videoCount) {
      return undefined;
    }
    return video * this.startsPerVideo + step;
  }

  startOfSlot(slot: number): number {
    return this.firstStartMs + (slot % this.startsPerVideo) * this.spec.advanceMs;
  }
}

/** The exact window counts of input records 0..N-1. */
export interface ExpectedCounts {
  readonly grid: WindowGrid;
  /** Per slot of the grid; 0 where no record fell. */
  readonly counts: Uint16Array;
  /** The largest event time of the input: the windows it closes are final. */
  readonly maxEventTime: number;
}

/** Counts, per video and hopping window, the records 0..N-1 of the generator. */
export function expectedCounts(records: number, spec: WindowSpec = benchWindows): ExpectedCounts {
  const lastBase = epochMs + Math.floor((Math.max(0, records - 1) * 36) / 5);
  const grid = new WindowGrid(spec, { min: epochMs - maxDelayMs, max: lastBase });
  const counts = new Uint16Array(grid.slots);
  let maxEventTime = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < records; index++) {
    const { video, eventTime } = placementOf(index);
    maxEventTime = Math.max(maxEventTime, eventTime);
    for (let start = firstStartOf(eventTime, spec); start <= eventTime; start += spec.advanceMs) {
      const slot = grid.slotOf(video, start);
      if (slot === undefined) {
        throw new Error(`window ${start} of record ${index} is outside the grid`);
      }
      counts[slot] = (counts[slot] ?? 0) + 1;
    }
  }
  return { grid, counts, maxEventTime };
}

/**
 * Whether every engine must have closed the window by the end of the input: its end plus the
 * grace is at or before the largest event time.
 */
export function isFinal(windowStartMs: number, expected: ExpectedCounts): boolean {
  const { spec } = expected.grid;
  return windowStartMs + spec.sizeMs + spec.graceMs <= expected.maxEventTime;
}
