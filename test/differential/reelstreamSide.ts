import {
  float64Serde,
  hoppingWindows,
  nullable,
  Pipeline,
  sessionWindows,
  slidingWindows,
  stringSerde,
  TestDriver,
  windowedSerde,
  type Windows,
} from '../../operators/index.js';
import type { Case, WindowSpec } from './cases.js';

/**
 * Runs a case through reelstream's TestDriver, with the pipeline the Java harness builds for
 * Kafka Streams (java/…/Harness.java), and renders each input's outputs the same way:
 * `<topic>:<key>=<value>`, windowed keys as `<key>@<start>@<end>`.
 */

const maybe = { key: nullable(stringSerde), value: nullable(stringSerde) };
const text = { key: stringSerde, value: stringSerde };
const windowedCounts = { key: windowedSerde(stringSerde), value: nullable(float64Serde) };
const counts = { key: stringSerde, value: float64Serde };

function windowsOf(spec: WindowSpec): Windows {
  switch (spec.type) {
    case 'tumbling':
    case 'hopping':
      return hoppingWindows({ sizeMs: spec.size, advanceMs: spec.advance, graceMs: spec.grace });
    case 'sliding':
      return slidingWindows({ timeDifferenceMs: spec.diff, graceMs: spec.grace });
    case 'session':
      return sessionWindows({ inactivityGapMs: spec.gap, graceMs: spec.grace });
  }
}

/** The pipeline of a case and how to read what one input caused. */
function build(testCase: Case): {
  pipeline: Pipeline;
  read: (driver: TestDriver) => Promise<string[]>;
} {
  const pipeline = new Pipeline();
  switch (testCase.kind) {
    case 'window': {
      pipeline
        .source('in', text)
        .groupByKey({ name: 'g', serdes: text })
        .windowedBy(windowsOf(testCase.window))
        .count({ name: 'counts', emit: testCase.emit })
        .toStream()
        .to('out', windowedCounts);
      return {
        pipeline,
        read: async (driver) =>
          (await driver.output('out', windowedCounts).readKeyValues()).map(
            ([w, n]) => `out:${w.key}@${w.start}@${w.end}=${n === null ? 'null' : String(n)}`,
          ),
      };
    }
    case 'join': {
      const table = pipeline.table('table', maybe, { name: 'table' });
      const stream = pipeline.source('stream', maybe);
      const joiner = (v: string | null, t: string | null | undefined): string =>
        `${String(v)}|${t ?? 'null'}`;
      (testCase.join === 'inner'
        ? stream.join(table, joiner, { name: 'join' })
        : stream.leftJoin(table, joiner, { name: 'join' })
      ).to('out', { key: nullable(stringSerde), value: stringSerde });
      return {
        pipeline,
        read: async (driver) =>
          (
            await driver
              .output('out', { key: nullable(stringSerde), value: stringSerde })
              .readKeyValues()
          ).map(([k, v]) => `out:${k ?? 'null'}=${v}`),
      };
    }
    case 'windowedJoin': {
      const right = pipeline.source('right', maybe);
      pipeline
        .source('left', maybe)
        .joinWindowed(right, (l, r) => `${String(l)}+${String(r)}`, {
          name: 'join',
          beforeMs: testCase.windows.before,
          afterMs: testCase.windows.after,
          graceMs: testCase.windows.grace,
          serdes: {
            key: nullable(stringSerde),
            value: nullable(stringSerde),
            otherValue: nullable(stringSerde),
          },
        })
        .to('out', { key: nullable(stringSerde), value: stringSerde });
      return {
        pipeline,
        read: async (driver) =>
          (
            await driver
              .output('out', { key: nullable(stringSerde), value: stringSerde })
              .readKeyValues()
          ).map(([k, v]) => `out:${k ?? 'null'}=${v}`),
      };
    }
    case 'tableAgg': {
      const grouped = pipeline.table('table', text, { name: 'table' }).groupBy(
        (_id, row) => {
          const [category = '', n = '0'] = row.split(':');
          return { key: category, value: Number(n) };
        },
        { name: 'by-category', serdes: { key: stringSerde, value: float64Serde } },
      );
      grouped.count({ name: 'count' }).toStream().to('count', counts);
      grouped
        .reduce(
          (sum, n) => sum + n,
          (sum, n) => sum - n,
          { name: 'sum' },
        )
        .toStream()
        .to('sum', counts);
      return {
        pipeline,
        read: async (driver) => {
          const rendered: string[] = [];
          for (const topic of ['count', 'sum']) {
            for (const [k, n] of await driver.output(topic, counts).readKeyValues()) {
              rendered.push(`${topic}:${k}=${String(n)}`);
            }
          }
          return rendered;
        },
      };
    }
  }
}

/** Per input record, what it caused, in the harness's rendering. */
export async function runOnReelstream(testCase: Case): Promise<string[][]> {
  const { pipeline, read } = build(testCase);
  const driver = await TestDriver.start(pipeline, { partitions: 1 });
  try {
    const perRecord: string[][] = [];
    for (const record of testCase.records) {
      await driver.input(record.topic, maybe).pipe(record.key, record.value, {
        timestamp: record.ts,
      });
      perRecord.push(await read(driver));
    }
    return perRecord;
  } finally {
    await driver.close();
  }
}
