import type { BenchWatchEventEnriched } from './generated/benchEventEnriched.js';
import type { BenchEvent } from './generator.js';
import { watchTiming } from './generator.js';

/**
 * The bench topology's semantics, once, for both engines and for the output check. Kafka
 * Streams implements the same steps in bench/kafkaStreams/.../StatelessBench.java:
 *
 *   source (key userId, value BenchWatchEvent)
 *     -> mapValues(enrich)        category upper-cased, watchRatio = watchedMs / durationMs
 *     -> filter(isKept)           watchRatio >= 0.1 (drops ~15%)
 *     -> selectKey(outputKey)     videoId
 *     -> to(output topic)         value BenchWatchEventEnriched, no repartition
 */

/** Field values of `bench/stateless/benchEventEnriched.avsc`, generated from it. */
export type BenchEventEnriched = BenchWatchEventEnriched;

/** Keep threshold of the filter (StatelessBench.MIN_WATCH_RATIO on the Java side). */
export const minWatchRatio = 0.1;

/** mapValues: upper-case the category, derive the watch ratio. */
export function enrich(event: BenchEvent): BenchEventEnriched {
  return {
    ...event,
    category: event.category.toUpperCase(),
    watchRatio: event.watchedMs / event.durationMs,
  };
}

/** filter: drop views abandoned in the first tenth of the video. */
export function isKept(event: BenchEventEnriched): boolean {
  return event.watchRatio >= minWatchRatio;
}

/** selectKey: the output is keyed by video. */
export function outputKey(event: BenchEventEnriched): string {
  return event.videoId;
}

/** How many of input records 0..records-1 pass the filter: the exact expected output count. */
export function expectedKept(records: number): number {
  let kept = 0;
  for (let index = 0; index < records; index++) {
    const { watchedMs, durationMs } = watchTiming(index);
    if (watchedMs / durationMs >= minWatchRatio) {
      kept++;
    }
  }
  return kept;
}
