import assert from 'node:assert/strict';

import {
  float64Serde,
  nullable,
  Pipeline,
  stringSerde,
  TestDriver,
  windowedSerde,
  type EmitMode,
  type GroupedStream,
  type Serde,
  type Table,
  type TestDriverOptions,
  type WindowedTable,
  type Windows,
} from '../../operators/index.js';

/**
 * Table-driven tests of windowed and key-value aggregations on the test driver. A table is a
 * list of steps: one input record `[key, value, timestamp]` and exactly what came out of the
 * aggregation because of it, as `[key, windowStart, windowEnd, aggregate]` rows (late records:
 * `[key, windowStart, windowEnd, value]` of the window they missed).
 */

/** An input record: key, value, timestamp (epoch ms). */
export type In = readonly [key: string, value: string, timestamp: number];

/** An emitted aggregate: key, window start, window end, value (`null` retracts a session). */
export type Out<TValue> = readonly [key: string, start: number, end: number, value: TValue | null];

/** A record sent to the late output: key, start and end of the window it missed, its value. */
export type Late = readonly [key: string, start: number, end: number, value: string];

export interface Step<TValue> {
  readonly in: In;
  readonly out: readonly Out<TValue>[];
  /** Late outputs this record caused; none when left out. */
  readonly late?: readonly Late[];
  /** When given, the timestamps of the `out` records, in order. */
  readonly at?: readonly number[];
}

const text = { key: stringSerde, value: stringSerde };
const windowedKey = windowedSerde(stringSerde);

/** The grouped input stream every table starts from: `in`, string keys and values. */
export type Grouped = GroupedStream<string, string>;

/**
 * Builds `pipeline: in → groupByKey → aggregation`, with the aggregates on `out` and the late
 * records on `late`, pipes each step's input and checks every step's outputs and the
 * `lateRecords` counter (summed over the driver's tasks).
 */
export async function expectWindowTable<TValue, TResult extends TValue | null>(
  aggregation: {
    readonly build: (grouped: Grouped) => WindowedTable<string, string, TResult>;
    readonly valueSerde: Serde<TValue>;
  },
  steps: readonly Step<TValue>[],
  options: TestDriverOptions = {},
): Promise<void> {
  const pipeline = new Pipeline();
  const table = aggregation.build(
    pipeline.source('in', text).groupByKey({ name: 'g', serdes: text }),
  );
  const outSerdes = { key: windowedKey, value: nullable(aggregation.valueSerde) };
  table
    .toStream()
    .mapValues((value): TValue | null => value)
    .to('out', outSerdes);
  table.lateRecords().to('late', { key: windowedKey, value: stringSerde });
  const driver = await TestDriver.start(pipeline, options);
  try {
    const input = driver.input('in', text);
    const out = driver.output('out', outSerdes);
    const late = driver.output('late', { key: windowedKey, value: stringSerde });
    const actual: Step<TValue>[] = [];
    for (const step of steps) {
      const [key, value, timestamp] = step.in;
      await input.pipe(key, value, { timestamp });
      const emitted = await out.readRecords();
      const missed = await late.readRecords();
      actual.push({
        in: step.in,
        out: emitted.map((r): Out<TValue> => [r.key.key, r.key.start, r.key.end, r.value]),
        ...(missed.length === 0 && step.late === undefined
          ? {}
          : { late: missed.map((r): Late => [r.key.key, r.key.start, r.key.end, r.value]) }),
        ...(step.at === undefined ? {} : { at: emitted.map((r) => r.timestamp) }),
      });
    }
    assert.deepEqual(actual.map(render), steps.map(render));
    const lateCount = steps.reduce((sum, step) => sum + (step.late?.length ?? 0), 0);
    assert.equal(driver.counter('lateRecords'), lateCount, 'lateRecords counts every late output');
  } finally {
    await driver.close();
  }
}

/** `windowedBy(windows).count({ name: 'counts', emit })`, for {@link expectWindowTable}. */
export function countsIn(
  windows: Windows,
  emit: EmitMode = 'update',
): {
  readonly build: (grouped: Grouped) => WindowedTable<string, string, number | null>;
  readonly valueSerde: Serde<number>;
} {
  return {
    build: (grouped) => grouped.windowedBy(windows).count({ name: 'counts', emit }),
    valueSerde: float64Serde,
  };
}

/** A key-value aggregate: key, value. */
export type KeyValueOut<TValue> = readonly [key: string, value: TValue];

export interface KeyValueStep<TValue> {
  readonly in: In;
  readonly out: readonly KeyValueOut<TValue>[];
  readonly at?: readonly number[];
}

/** Like {@link expectWindowTable}, for `groupByKey().count/reduce/aggregate()` tables. */
export async function expectKeyValueTable<TValue>(
  aggregation: {
    readonly build: (grouped: Grouped) => Table<string, TValue>;
    readonly valueSerde: Serde<TValue>;
  },
  steps: readonly KeyValueStep<TValue>[],
): Promise<void> {
  const pipeline = new Pipeline();
  const outSerdes = { key: stringSerde, value: aggregation.valueSerde };
  aggregation
    .build(pipeline.source('in', text).groupByKey({ name: 'g', serdes: text }))
    .toStream()
    .to('out', outSerdes);
  const driver = await TestDriver.start(pipeline);
  try {
    const input = driver.input('in', text);
    const out = driver.output('out', outSerdes);
    const actual: KeyValueStep<TValue>[] = [];
    for (const step of steps) {
      const [key, value, timestamp] = step.in;
      await input.pipe(key, value, { timestamp });
      const emitted = await out.readRecords();
      actual.push({
        in: step.in,
        out: emitted.map((r): KeyValueOut<TValue> => [r.key, r.value]),
        ...(step.at === undefined ? {} : { at: emitted.map((r) => r.timestamp) }),
      });
    }
    assert.deepEqual(actual.map(renderKeyValue), steps.map(renderKeyValue));
  } finally {
    await driver.close();
  }
}

/** One line per step, so that a failing table shows the steps that differ. */
function render<TValue>(step: Step<TValue>): string {
  const [key, value, timestamp] = step.in;
  const window = (row: readonly [string, number, number, unknown]): string =>
    `${row[0]}[${row[1]},${row[2]}]=${JSON.stringify(row[3])}`;
  return [
    `${key}:${value}@${timestamp} ->`,
    `out ${step.out.map(window).join(' ')}`,
    ...(step.late === undefined ? [] : [`late ${step.late.map(window).join(' ')}`]),
    ...(step.at === undefined ? [] : [`at ${step.at.join(' ')}`]),
  ].join(' | ');
}

function renderKeyValue<TValue>(step: KeyValueStep<TValue>): string {
  const [key, value, timestamp] = step.in;
  return [
    `${key}:${value}@${timestamp} ->`,
    `out ${step.out.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`,
    ...(step.at === undefined ? [] : [`at ${step.at.join(' ')}`]),
  ].join(' | ');
}
