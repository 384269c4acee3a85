import type { BenchEvent } from '../stateless/generator.js';
import { Random, benchEvent, epochMs, idOf, videoIdOf } from '../stateless/generator.js';

/**
 * Deterministic input of bench/stateful: bench/stateless's watch events (the same schema and
 * fields, ~194 bytes on the wire), re-keyed for windowed counting. Record `i` is always the same
 * event, so the expected window counts are exact and the input topic is produced once and reused.
 *
 * - 100,000 distinct videos, uniform: the record key is the videoId;
 * - event time advances 7.2 ms a record (1M records span 2 hours of event time), minus a delay
 *   uniform in [0, 30 s]: out of order, but never by more than 30 s (less than the grace);
 * - the record timestamp is the event time.
 */

/** Bump when the generated data changes: the input topic name carries it. */
export const generatorVersion = 1;

/** Distinct videos (record keys). */
export const videoCount = 100_000;

/** The largest delay of an event behind the stream's event-time clock. */
export const maxDelayMs = 30_000;

/** Where record `index` falls: its video (0..videoCount-1) and event time (epoch ms). */
export interface EventPlacement {
  readonly video: number;
  readonly eventTime: number;
}

/** The key and event time of record `index`, from their own random stream (no strings). */
export function placementOf(index: number): EventPlacement {
  const random = new Random(index, 3);
  const video = random.below(videoCount);
  // 7.2 ms a record, in integers: 36 ms every 5 records.
  const eventTime = epochMs + Math.floor((index * 36) / 5) - random.below(maxDelayMs + 1);
  return { video, eventTime };
}

/** Record `index` of the bench/stateful input (0-based). */
export function statefulEvent(index: number): BenchEvent {
  const { video, eventTime } = placementOf(index);
  return {
    ...benchEvent(index),
    videoId: videoIdOf(video),
    creatorId: idOf('crt_', video % 20_000, 7),
    eventTime,
  };
}

/** videoId -> video number, for reading window keys back. */
export function videoNumbers(): ReadonlyMap<string, number> {
  const numbers = new Map<string, number>();
  for (let video = 0; video < videoCount; video++) {
    numbers.set(videoIdOf(video), video);
  }
  return numbers;
}
