/**
 * The feedback window: each impression becomes one training example once its window has closed,
 * labelled with the clicks and the watch of that impression (same request id and video id) that
 * came within it, so impressions nobody clicked are the negatives.
 *
 * Why wait for the window instead of emitting at the first label: an impression whose click or
 * watch has not arrived yet is not a negative, only an unfinished one. The generator (and an app)
 * clicks down the list over seconds and watches for minutes; an impression labelled "not clicked,
 * 0 ms watched" the moment it is shown would teach the model that every impression is a negative.
 * Emitting once stream time (the task's highest record timestamp) passes the impression's time
 * plus the window means the label is final: later clicks or watch ends of that impression are
 * late and dropped (counted as `lateFeedback`), never a second, contradicting example.
 *
 * The inputs must be co-partitioned by whatever key they share: by user in the training job
 * (impressions and clicks re-keyed there, watch ends keyed by user), by video in the calibration
 * monitor (impressions and clicks as their topics are). One store entry per
 * `user · request · video` and one event-time timer per entry; labels are forwarded keyed by
 * user. A click or a
 * watch end read before its impression (topics are read independently) is kept in the entry and
 * joins the impression when it comes; an entry without an impression expires at its first
 * label's time plus the window.
 */
import {
  jsonSerde,
  keyValueStore,
  StreamRecord,
  stringSerde,
  type KeyValueState,
  type Operator,
  type OperatorContext,
  type StoreDefinition,
  type Timer,
} from '../operators/index.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { UserFeatures } from '../schemas/generated/userFeatures.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';

/** An impression with the user's features of just before it (null: cold start). */
export interface FeedbackSnapshot {
  readonly impression: Impression;
  readonly features: UserFeatures | null;
}

/** What the operator reads, merged into one user-keyed stream. */
export type FeedbackEvent =
  | { readonly kind: 'impression'; readonly snapshot: FeedbackSnapshot }
  | { readonly kind: 'click'; readonly click: Click }
  | { readonly kind: 'watchEnd'; readonly watchEnd: WatchEnd };

/** The labels of one impression once its window closed. */
export interface FeedbackLabel {
  readonly snapshot: FeedbackSnapshot;
  /** A click on the same request and video within the window. */
  readonly clicked: boolean;
  /** The longest watch end of that impression within the window; null when not watched. */
  readonly watchEnd: WatchEnd | null;
  /** When the window closed: the impression's time plus the window. */
  readonly closedTime: number;
}

/** One pending impression and what has been seen of it so far. */
export interface FeedbackEntry {
  readonly snapshot: FeedbackSnapshot | null;
  /** Time of the earliest event of the entry (the impression's, or a label read before it). */
  readonly since: number;
  readonly clicked: boolean;
  readonly watchEnd: WatchEnd | null;
}

/** The store and timer key. NUL cannot occur in the ids' UTF-8 text. */
function entryKey(ids: { userId: string; requestId: string; videoId: string }): string {
  return `${ids.userId}\u0000${ids.requestId}\u0000${ids.videoId}`;
}

/** The store of the pending impressions of a node named `name`. */
export function feedbackStore(name: string): StoreDefinition<string, FeedbackEntry> {
  return keyValueStore({ name, key: stringSerde, value: jsonSerde<FeedbackEntry>() });
}

type FeedbackContext = OperatorContext<string, FeedbackLabel, string>;

/** See the file comment. `windowMs` is the feedback window, in event time. */
export class FeedbackWindowOperator implements Operator<
  string,
  FeedbackEvent,
  string,
  FeedbackLabel
> {
  private store: KeyValueState<string, FeedbackEntry> | undefined;

  constructor(
    private readonly definition: StoreDefinition<string, FeedbackEntry>,
    private readonly windowMs: number,
  ) {}

  init(ctx: FeedbackContext): void {
    this.store = ctx.keyValueStore(this.definition);
  }

  async process(record: StreamRecord<string, FeedbackEvent>, ctx: FeedbackContext): Promise<void> {
    const store = this.requireStore();
    const event = record.value;
    const ids =
      event.kind === 'impression'
        ? event.snapshot.impression
        : event.kind === 'click'
          ? event.click
          : event.watchEnd;
    if (ids.requestId === null) {
      // A playback not started from a list (a shared link): it labels no impression.
      return;
    }
    const key = entryKey({ ...ids, requestId: ids.requestId });
    const time = ids.eventTime;
    const entry = await store.get(key);
    if (event.kind === 'impression') {
      if (
        (entry !== undefined && entry.snapshot !== null) ||
        time + this.windowMs <= ctx.streamTime()
      ) {
        // A duplicate, or an impression whose window closed before it was read.
        ctx.count('lateFeedback');
        return;
      }
      if (entry !== undefined) {
        // Labels read first set a timer for their own expiry: the impression's replaces it.
        ctx.timers.cancelEventTime(key, entry.since + this.windowMs);
      }
      ctx.timers.scheduleEventTime(key, time + this.windowMs);
      store.put(key, {
        ...(entry ?? { clicked: false, watchEnd: null }),
        snapshot: event.snapshot,
        since: time,
      });
      return;
    }
    const impressionTime = entry?.snapshot?.impression.eventTime;
    if (impressionTime !== undefined && time > impressionTime + this.windowMs) {
      ctx.count('lateFeedback');
      return;
    }
    const base: FeedbackEntry = entry ?? {
      snapshot: null,
      since: time,
      clicked: false,
      watchEnd: null,
    };
    if (entry === undefined) {
      ctx.timers.scheduleEventTime(key, time + this.windowMs);
    }
    store.put(
      key,
      event.kind === 'click'
        ? { ...base, clicked: true }
        : {
            ...base,
            // A playback resumed in the same list ends twice: the longer watch is the label.
            watchEnd:
              base.watchEnd !== null && base.watchEnd.watchedMs >= event.watchEnd.watchedMs
                ? base.watchEnd
                : event.watchEnd,
          },
    );
  }

  async onTimer(timer: Timer<string>, ctx: FeedbackContext): Promise<void> {
    const store = this.requireStore();
    const entry = await store.get(timer.key);
    if (entry === undefined || entry.since + this.windowMs !== timer.timestamp) {
      return;
    }
    store.delete(timer.key);
    if (entry.snapshot === null) {
      // Labels whose impression never came (another job's traffic, or lost): nothing to label.
      ctx.count('feedbackWithoutImpression');
      return;
    }
    const closedTime = timer.timestamp;
    ctx.forward(
      StreamRecord.of({
        key: entry.snapshot.impression.userId,
        value: {
          snapshot: entry.snapshot,
          clicked: entry.clicked,
          watchEnd: entry.watchEnd,
          closedTime,
        },
        timestamp: closedTime,
      }),
    );
  }

  private requireStore(): KeyValueState<string, FeedbackEntry> {
    if (this.store === undefined) {
      throw new Error('feedback-window: process() before init()');
    }
    return this.store;
  }
}
