import assert from 'node:assert/strict';

import { nullable, stringSerde, TestDriver, type Pipeline } from '../../operators/index.js';

/**
 * Table-driven join tests on the test driver. Every topic has string keys and values; a step
 * pipes one record into a topic (`null` value: a tombstone) and lists exactly what the join
 * wrote to `out` because of it.
 */

/** An input record: topic, key, value (`null`: tombstone), timestamp. */
export type JoinIn = readonly [topic: string, key: string, value: string | null, timestamp: number];

/** An output record: key, value, timestamp. */
export type JoinOut = readonly [key: string, value: string, timestamp: number];

export interface JoinStep {
  readonly in: JoinIn;
  readonly out: readonly JoinOut[];
}

export const text = { key: stringSerde, value: stringSerde };

/** Runs the steps through `pipeline` (which must write to `out`); checks outputs and counters. */
export async function expectJoinTable(options: {
  readonly pipeline: Pipeline;
  readonly steps: readonly JoinStep[];
  /** Partitions of every topic (default 3: joins must work across tasks). */
  readonly partitions?: number;
  /** Counters (`lateRecords`, …) as they must be after the last step. */
  readonly counters?: Readonly<Record<string, number>>;
}): Promise<void> {
  const driver = await TestDriver.start(options.pipeline, {
    partitions: options.partitions ?? 3,
  });
  try {
    const out = driver.output('out', text);
    const actual: JoinStep[] = [];
    for (const step of options.steps) {
      const [topic, key, value, timestamp] = step.in;
      await driver
        .input(topic, { key: stringSerde, value: nullable(stringSerde) })
        .pipe(key, value, { timestamp });
      const emitted = await out.readRecords();
      actual.push({
        in: step.in,
        out: emitted.map((r): JoinOut => [r.key, r.value, r.timestamp]),
      });
    }
    assert.deepEqual(actual.map(render), options.steps.map(render));
    for (const [metric, expected] of Object.entries(options.counters ?? {})) {
      assert.equal(driver.counter(metric), expected, `counter ${metric}`);
    }
  } finally {
    await driver.close();
  }
}

/** One line per step, so that a failing table shows the steps that differ. */
function render(step: JoinStep): string {
  const [topic, key, value, timestamp] = step.in;
  const outs = step.out.map(([k, v, t]) => `${k}=${v}@${t}`).join(' ');
  return `${topic} ${key}:${String(value)}@${timestamp} -> ${outs}`;
}
