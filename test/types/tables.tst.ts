/* eslint-disable @typescript-eslint/unbound-method -- type tests only name the methods, never call them */
import { describe, expect, test } from 'tstyche';

import {
  float64Serde,
  jsonSerde,
  Pipeline,
  stringSerde,
  type GroupedTable,
  type Stream,
  type Table,
  type WindowedJoinStream,
} from '../../operators/index.js';

interface Video {
  readonly category: string;
  readonly durationMs: number;
}

const pipeline = new Pipeline();
const videos = pipeline.table(
  'videos',
  { key: stringSerde, value: jsonSerde<Video>() },
  { name: 'videos' },
);
const byCategory = videos.groupBy(
  (_id, video) => ({ key: video.category, value: video.durationMs }),
  {
    name: 'by-category',
    serdes: { key: stringSerde, value: float64Serde },
  },
);

describe('Table.groupBy re-aggregations are typed from the selector', () => {
  test('groupBy takes its key and value types from what the selector returns', () => {
    expect(byCategory).type.toBe<GroupedTable<string, number>>();
  });

  test('the serdes must match the selected types', () => {
    expect(videos.groupBy).type.not.toBeCallableWith(
      (_id: string, video: Video) => ({ key: video.category, value: video.durationMs }),
      { name: 'x', serdes: { key: stringSerde, value: stringSerde } },
    );
  });

  test('count, reduce and aggregate give tables of the group key', () => {
    expect(byCategory.count({ name: 'n' })).type.toBe<Table<string, number>>();
    expect(
      byCategory.reduce(
        (a, b) => a + b,
        (a, b) => a - b,
        { name: 'r' },
      ),
    ).type.toBe<Table<string, number>>();
    expect(
      byCategory.aggregate({
        name: 'a',
        initializer: () => [] as readonly number[],
        adder: (list, ms) => [...list, ms],
        subtractor: (list, ms) => list.filter((x) => x !== ms),
        serde: jsonSerde<readonly number[]>(),
      }),
    ).type.toBe<Table<string, readonly number[]>>();
  });

  test('an aggregate’s adder and subtractor see the group’s value type', () => {
    expect(byCategory.aggregate).type.not.toBeCallableWith({
      name: 'a',
      initializer: () => 0,
      adder: (sum: number, title: string) => sum + title.length,
      subtractor: (sum: number) => sum,
      serde: float64Serde,
    });
  });
});

describe('a windowed join’s late records keep each side’s type', () => {
  const text = { key: stringSerde, value: stringSerde };
  const numbers = pipeline.source('numbers', { key: stringSerde, value: float64Serde });
  const joined = pipeline
    .source('words', text)
    .joinWindowed(numbers, (word, n) => word.length + n, {
      name: 'j',
      beforeMs: 1,
      afterMs: 1,
      serdes: { key: stringSerde, value: stringSerde, otherValue: float64Serde },
    });

  test('lateRecords is this side’s stream, lateOtherRecords the other’s', () => {
    expect(joined).type.toBe<WindowedJoinStream<string, number, string, number>>();
    expect(joined.lateRecords()).type.toBe<Stream<string, string>>();
    expect(joined.lateOtherRecords()).type.toBe<Stream<string, number>>();
  });
});
