import { setTimeout as sleep } from 'node:timers/promises';

import type { ReplayPlan } from './replayPlan.js';
import { replayEvents } from './replayPlan.js';
import { ReplayPacer, type ReplaySpeed } from './replayPacer.js';
import type { ReplayProgress } from './replayProgress.js';
import type { ReplayEvent, ReplayEventKind } from './replayEvent.js';
import type { ReplaySink } from './replaySink.js';

/** Most records per produce call at full speed. */
const maxBatch = 5_000;

/**
 * Shorter delays are not waited for (a timer costs about a millisecond): the pacer measures
 * from the replay's start, so skipping them makes no drift; the next longer wait catches up.
 */
const minWaitMs = 2;

/** What a finished replay did. */
export interface ReplaySummary {
  readonly ratings: number;
  readonly records: number;
  readonly recordsByKind: ReadonlyMap<ReplayEventKind, number>;
  readonly elapsedMs: number;
  /** Event time of the first and last rating record written (impressions), shifted. */
  readonly firstEventTimeMs: number | undefined;
  readonly lastEventTimeMs: number | undefined;
  readonly offsetMs: number;
}

/**
 * Writes a planned replay (replayPlan.ts) to a sink: records in write order, batched, paced
 * by the speed factor (replayPacer.ts), with progress after every batch. A batch is flushed
 * before any wait, so at a finite speed a record is sent when it is due, not when a batch
 * fills. `now` and `wait` are injectable for tests.
 */
export async function runReplay(options: {
  plan: ReplayPlan;
  sink: ReplaySink;
  speed: ReplaySpeed;
  progress: ReplayProgress;
  now?: () => number;
  wait?: (ms: number) => Promise<unknown>;
}): Promise<ReplaySummary> {
  const { plan, sink, progress } = options;
  const now = options.now ?? (() => performance.now());
  const wait = options.wait ?? sleep;
  const pacer = new ReplayPacer({ speed: options.speed, now });
  const started = now();
  const byKind = new Map<ReplayEventKind, number>();
  let ratings = 0;
  let records = 0;
  let first: number | undefined;
  let last: number | undefined;
  let datasetTimeMs = plan.catalogTimeMs - plan.offsetMs;
  let batch: ReplayEvent[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) {
      return;
    }
    await sink.send(batch);
    records += batch.length;
    batch = [];
    progress.update({
      ratings,
      totalRatings: plan.ratings.length,
      events: records,
      datasetTimeMs,
      elapsedMs: now() - started,
    });
  };

  try {
    for (const event of replayEvents(plan)) {
      const delay = event.kind === 'videoUpload' ? 0 : pacer.delayFor(event.value.eventTime);
      if (delay >= minWaitMs) {
        await flush();
        await wait(delay);
      }
      batch.push(event);
      byKind.set(event.kind, (byKind.get(event.kind) ?? 0) + 1);
      datasetTimeMs = event.value.eventTime - plan.offsetMs;
      if (event.kind === 'impression') {
        ratings++;
        first ??= event.value.eventTime;
        last = event.value.eventTime;
      }
      if (batch.length >= maxBatch) {
        await flush();
      }
    }
    await flush();
  } finally {
    progress.stop();
  }
  return {
    ratings,
    records,
    recordsByKind: byKind,
    elapsedMs: now() - started,
    firstEventTimeMs: first,
    lastEventTimeMs: last,
    offsetMs: plan.offsetMs,
  };
}
