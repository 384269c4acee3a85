/**
 * The calibration monitor's windows, summed where each input partition's time is consistent and
 * combined once every partition has closed the window.
 *
 * Why not `groupByKey().windowedBy(...)`: the labels of all partitions meet in one repartition
 * partition in the order their tasks wrote them, not in event time. A task catching up on a
 * backlog (or simply faster) moves that partition's stream time minutes ahead of another's, and
 * the other's labels then come after their window closed: dropped as late, the window's
 * counts silently short. Here:
 * 1. `PartialWindowsOperator`, in the labelling task (its inputs taken in timestamp order, so
 *    its stream time is sound): sums per window and scope; when stream time passes a window's
 *    end plus grace it emits the window's partial, one record per window even when empty, so
 *    the combiner knows this partition is done with it.
 * 2. `CombineWindowsOperator`, after a repartition to one key: adds the partials of a window
 *    and emits it, per scope, once partials from `partitions` distinct tasks are in. A
 *    partition without traffic therefore holds the windows back rather than letting them out
 *    short (the gauge `reelstream_calibration_window_end_seconds` shows it).
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
import type { WindowSums } from './calibrationDrift.js';

/** One labelled prediction and the scopes it counts in. */
export interface ScopedLabel {
  readonly scopes: readonly string[];
  readonly predicted: number;
  readonly clicked: boolean;
}

/** One task's sums of one window, per scope (absent scope: nothing in it). */
export interface PartialWindow {
  readonly taskId: string;
  readonly windowStart: number;
  readonly scopes: Readonly<Record<string, WindowSums>>;
}

/** A window's sums per scope, all partitions in. */
export interface CombinedWindow {
  readonly windowStart: number;
  readonly scope: string;
  readonly sums: WindowSums;
}

interface WindowTiming {
  readonly windowMs: number;
  readonly graceMs: number;
}

const emptySums: WindowSums = { impressions: 0, clicks: 0, predictedClicks: 0, variance: 0 };

function add(sums: WindowSums, label: ScopedLabel): WindowSums {
  return {
    impressions: sums.impressions + 1,
    clicks: sums.clicks + (label.clicked ? 1 : 0),
    predictedClicks: sums.predictedClicks + label.predicted,
    variance: sums.variance + label.predicted * (1 - label.predicted),
  };
}

function merge(a: WindowSums, b: WindowSums): WindowSums {
  return {
    impressions: a.impressions + b.impressions,
    clicks: a.clicks + b.clicks,
    predictedClicks: a.predictedClicks + b.predictedClicks,
    variance: a.variance + b.variance,
  };
}

/** The partial-window store of a node: window start (decimal) → sums per scope; `next` → number. */
export function partialWindowsStore(
  name: string,
): StoreDefinition<string, Record<string, WindowSums> | number> {
  return keyValueStore({
    name,
    key: stringSerde,
    value: jsonSerde<Record<string, WindowSums> | number>(),
  });
}

/** The key of the earliest window this task has not emitted yet. */
const nextKey = 'next';
/** Every timer of the operator has this key: what fires is "stream time reached t". */
const timerKey = 'windows';

type PartialContext = OperatorContext<string, PartialWindow, string>;

/** Step 1 (see the file comment). Records are stamped with their window's time. */
export class PartialWindowsOperator implements Operator<
  string,
  ScopedLabel,
  string,
  PartialWindow
> {
  private store: KeyValueState<string, Record<string, WindowSums> | number> | undefined;

  constructor(
    private readonly definition: StoreDefinition<string, Record<string, WindowSums> | number>,
    private readonly timing: WindowTiming,
  ) {}

  init(ctx: PartialContext): void {
    this.store = ctx.keyValueStore(this.definition);
  }

  async process(record: StreamRecord<string, ScopedLabel>, ctx: PartialContext): Promise<void> {
    const store = this.requireStore();
    const { windowMs, graceMs } = this.timing;
    const windowStart = Math.floor(record.timestamp / windowMs) * windowMs;
    const next = await store.get(nextKey);
    if (typeof next === 'number' && windowStart < next) {
      ctx.count('lateCalibrationLabels');
      return;
    }
    if (next === undefined) {
      store.put(nextKey, windowStart);
    }
    const key = String(windowStart);
    const kept = await store.get(key);
    const scopes: Record<string, WindowSums> = typeof kept === 'object' ? { ...kept } : {};
    for (const scope of record.value.scopes) {
      scopes[scope] = add(scopes[scope] ?? emptySums, record.value);
    }
    store.put(key, scopes);
    ctx.timers.scheduleEventTime(timerKey, windowStart + windowMs + graceMs);
  }

  async onTimer(timer: Timer<string>, ctx: PartialContext): Promise<void> {
    const store = this.requireStore();
    const { windowMs, graceMs } = this.timing;
    const next = await store.get(nextKey);
    if (typeof next !== 'number') {
      return;
    }
    // Every window up to the one the timer closes, empty ones included.
    let windowStart = next;
    for (; windowStart + windowMs + graceMs <= timer.timestamp; windowStart += windowMs) {
      const key = String(windowStart);
      const kept = await store.get(key);
      store.delete(key);
      ctx.forward(
        StreamRecord.of({
          key: timerKey,
          value: {
            taskId: ctx.taskId,
            windowStart,
            scopes: typeof kept === 'object' ? kept : {},
          },
          timestamp: windowStart + windowMs,
        }),
      );
    }
    store.put(nextKey, windowStart);
  }

  private requireStore(): KeyValueState<string, Record<string, WindowSums> | number> {
    if (this.store === undefined) {
      throw new Error('calibration-partials: process() before init()');
    }
    return this.store;
  }
}

/** What the combiner keeps of a window still waiting for partitions. */
interface Pending {
  readonly tasks: readonly string[];
  readonly scopes: Readonly<Record<string, WindowSums>>;
}

/** The combiner's store: window start (decimal) → what came in so far. */
export function combinedWindowsStore(name: string): StoreDefinition<string, Pending> {
  return keyValueStore({ name, key: stringSerde, value: jsonSerde<Pending>() });
}

type CombineContext = OperatorContext<string, CombinedWindow, never>;

/** Step 2 (see the file comment): `partitions` is how many tasks label (input partitions). */
export class CombineWindowsOperator implements Operator<
  string,
  PartialWindow,
  string,
  CombinedWindow
> {
  private store: KeyValueState<string, Pending> | undefined;

  constructor(
    private readonly definition: StoreDefinition<string, Pending>,
    private readonly partitions: number,
  ) {}

  init(ctx: CombineContext): void {
    this.store = ctx.keyValueStore(this.definition);
  }

  async process(record: StreamRecord<string, PartialWindow>, ctx: CombineContext): Promise<void> {
    const store = this.store;
    if (store === undefined) {
      throw new Error('calibration-combine: process() before init()');
    }
    const partial = record.value;
    const key = String(partial.windowStart);
    const pending = (await store.get(key)) ?? { tasks: [], scopes: {} };
    if (pending.tasks.includes(partial.taskId)) {
      // The same partial again (a task replayed after a restart): counted once.
      return;
    }
    const scopes: Record<string, WindowSums> = { ...pending.scopes };
    for (const [scope, sums] of Object.entries(partial.scopes)) {
      scopes[scope] = merge(scopes[scope] ?? emptySums, sums);
    }
    const tasks = [...pending.tasks, partial.taskId];
    if (tasks.length < this.partitions) {
      store.put(key, { tasks, scopes });
      return;
    }
    store.delete(key);
    for (const [scope, sums] of Object.entries(scopes).sort(([a], [b]) => (a < b ? -1 : 1))) {
      ctx.forward(
        StreamRecord.of({
          key: scope,
          value: { windowStart: partial.windowStart, scope, sums },
          timestamp: record.timestamp,
        }),
      );
    }
  }
}
