/* eslint-disable @typescript-eslint/unbound-method -- type tests only name the methods, never call them */
import { describe, expect, test } from 'tstyche';

import {
  float64Serde,
  jsonSerde,
  Pipeline,
  stringSerde,
  type GlobalTable,
  type Stream,
  type Table,
  type WindowedJoinStream,
} from '../../operators/index.js';

interface Click {
  readonly videoId: string;
}
interface Profile {
  readonly country: string;
}

const pipeline = new Pipeline();
const clicks: Stream<string, Click> = pipeline.source('clicks', {
  key: stringSerde,
  value: jsonSerde<Click>(),
});
const profiles = pipeline.table(
  'profiles',
  { key: stringSerde, value: jsonSerde<Profile>() },
  { name: 'profiles' },
);
const titles = pipeline.globalTable(
  'videos',
  { key: stringSerde, value: stringSerde },
  { name: 'titles' },
);

describe('joins are typed by both sides', () => {
  test('tables and global tables carry their key and value types', () => {
    expect(profiles).type.toBe<Table<string, Profile>>();
    expect(titles).type.toBe<GlobalTable<string, string>>();
  });

  test('a join’s result is the joiner’s; a left join’s joiner may get undefined', () => {
    expect(
      clicks.join(profiles, (click, profile) => `${click.videoId}@${profile.country}`, {
        name: 'j',
      }),
    ).type.toBe<Stream<string, string>>();
    expect(
      clicks.leftJoin(profiles, (_click, profile) => profile?.country ?? null, { name: 'l' }),
    ).type.toBe<Stream<string, string | null>>();
    expect(
      clicks.joinGlobal(titles, (click, title) => ({ ...click, title }), {
        name: 'g',
        key: (r) => r.value.videoId,
      }),
    ).type.toBe<Stream<string, { title: string; videoId: string }>>();
  });

  test('a left join’s joiner must handle a missing value', () => {
    expect(clicks.leftJoin).type.not.toBeCallableWith(
      profiles,
      (_click: Click, profile: Profile) => profile.country,
      { name: 'l' },
    );
  });

  test('a table keyed by another type does not join', () => {
    const byNumber = pipeline
      .source('n', { key: float64Serde, value: jsonSerde<Click>() })
      .groupByKey({ name: 'g', serdes: { key: float64Serde, value: jsonSerde<Click>() } })
      .count({ name: 'c' });
    expect(clicks.join).type.not.toBeCallableWith(byNumber, (_c: Click, n: number) => n, {
      name: 'x',
    });
  });

  test('a global table’s key selector must return its key type', () => {
    expect(clicks.joinGlobal).type.not.toBeCallableWith(
      titles,
      (_click: Click, title: string) => title,
      { name: 'g', key: () => 42 },
    );
  });

  test('a windowed join needs the same key type and serdes of both value types', () => {
    const other = pipeline.source('other', { key: stringSerde, value: float64Serde });
    const joined = clicks.joinWindowed(other, (_click, n) => n, {
      name: 'w',
      beforeMs: 1,
      afterMs: 1,
      serdes: { key: stringSerde, value: jsonSerde<Click>(), otherValue: float64Serde },
    });
    // A stream of the joiner's results, with each side's late records on outputs of their own.
    expect(joined).type.toBe<WindowedJoinStream<string, number, Click, number>>();
    expect(joined).type.toBeAssignableTo<Stream<string, number>>();
    expect(joined.lateRecords()).type.toBe<Stream<string, Click>>();
    expect(joined.lateOtherRecords()).type.toBe<Stream<string, number>>();
    expect(clicks.joinWindowed).type.not.toBeCallableWith(other, (_c: Click, n: number) => n, {
      name: 'w2',
      beforeMs: 1,
      afterMs: 1,
      serdes: { key: stringSerde, value: jsonSerde<Click>(), otherValue: stringSerde },
    });
  });
});
