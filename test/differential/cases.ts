import { seededRandom } from '../../operators/support/seededRandom.js';

/**
 * The cases of the differential suite: seeded random inputs, the same for reelstream's
 * TestDriver and Kafka Streams' TopologyTestDriver. A case is plain JSON, so it is sent to the
 * Java harness as it is, and one that fails is printed ready to paste into a test.
 */

/** One input record: topic, key and value (null: absent key, tombstone), timestamp. */
export interface CaseRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly ts: number;
}

export type WindowSpec =
  | {
      readonly type: 'tumbling' | 'hopping';
      readonly size: number;
      readonly advance: number;
      readonly grace: number;
    }
  | { readonly type: 'sliding'; readonly diff: number; readonly grace: number }
  | { readonly type: 'session'; readonly gap: number; readonly grace: number };

export type Emit = 'update' | 'close';

export type Case =
  | {
      readonly id: string;
      readonly kind: 'window';
      readonly window: WindowSpec;
      readonly emit: Emit;
      readonly records: readonly CaseRecord[];
    }
  | {
      readonly id: string;
      readonly kind: 'join';
      readonly join: 'inner' | 'left';
      readonly records: readonly CaseRecord[];
    }
  | {
      readonly id: string;
      readonly kind: 'windowedJoin';
      readonly windows: { readonly before: number; readonly after: number; readonly grace: number };
      readonly records: readonly CaseRecord[];
    }
  | { readonly id: string; readonly kind: 'tableAgg'; readonly records: readonly CaseRecord[] };

/** A category of the report: a window type and emit mode, a join kind, table aggregation. */
export interface Category {
  readonly name: string;
  readonly make: (seed: number) => Case;
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) {
    throw new Error('pick from an empty list');
  }
  return item;
}

/**
 * Timestamps for a windowed case, in `scale` (a window's size, a session's gap): mostly forward
 * steps of up to 1.5 scales, with bursts (several records at one time), jumps (a gap of several
 * scales), records on window boundaries (multiples of `scale`), and out-of-order records, some
 * within grace and some beyond it. Starts at 1,000, away from the epoch, where Kafka Streams'
 * sliding windows behave differently by design (docs/windows.md, difference 7).
 */
function windowTimes(random: Random, scale: number, grace: number): number[] {
  const count = 4 + Math.floor(random() * 22);
  const times: number[] = [];
  let now = 1000 + Math.floor(random() * scale);
  for (let i = 0; i < count; i += 1) {
    const roll = random();
    if (roll < 0.15) {
      // a burst: the same timestamp again
    } else if (roll < 0.25) {
      now += scale * (2 + Math.floor(random() * 4)); // a gap
    } else if (roll < 0.35) {
      now = Math.ceil(now / scale) * scale + pick(random, [0, 0, -1, 1]); // a boundary
    } else {
      now += Math.floor(random() * scale * 1.5);
    }
    const late = random();
    if (late < 0.15) {
      times.push(Math.max(0, now - Math.floor(random() * (grace + 1)))); // within grace
    } else if (late < 0.25) {
      times.push(Math.max(0, now - grace - 1 - Math.floor(random() * scale * 2))); // beyond
    } else {
      times.push(now);
    }
  }
  return times;
}

function windowCase(
  random: Random,
  spec: { id: string; window: WindowSpec; emit: Emit; scale: number },
): Case {
  const { id, window, emit, scale } = spec;
  const keys = pick(random, [['a'], ['a', 'b'], ['a', 'b', 'c']]);
  const records = windowTimes(random, scale, window.grace).map((ts, i): CaseRecord => ({
    topic: 'in',
    key: pick(random, keys),
    value: `v${i}`,
    ts,
  }));
  return { id, kind: 'window', window, emit, records };
}

function windowCategory(type: WindowSpec['type'], emit: Emit): Category {
  return {
    name: `${type} ${emit}`,
    make: (seed) => {
      const random = seededRandom(seed);
      const grace = pick(random, [0, 0, 1, 2, 5, 10]);
      const id = `${type}-${emit}-${seed}`;
      switch (type) {
        case 'tumbling': {
          const size = pick(random, [5, 10, 20]);
          return windowCase(random, {
            id,
            window: { type, size, advance: size, grace },
            emit,
            scale: size,
          });
        }
        case 'hopping': {
          const size = pick(random, [10, 20]);
          const advance = pick(random, [size / 2, size / 5, size / 10]);
          return windowCase(random, {
            id,
            window: { type, size, advance, grace },
            emit,
            scale: size,
          });
        }
        case 'sliding': {
          const diff = pick(random, [3, 5, 10]);
          return windowCase(random, { id, window: { type, diff, grace }, emit, scale: diff });
        }
        case 'session': {
          const gap = pick(random, [2, 3, 5, 10]);
          return windowCase(random, { id, window: { type, gap, grace }, emit, scale: gap });
        }
      }
    },
  };
}

/** Table updates and deletes interleaved with stream records, null keys and values included. */
function joinCategory(join: 'inner' | 'left'): Category {
  return {
    name: `stream-table ${join} join`,
    make: (seed) => {
      const random = seededRandom(seed);
      const keys = ['a', 'b', 'c', 'd'];
      const records: CaseRecord[] = [];
      const count = 4 + Math.floor(random() * 20);
      for (let i = 0; i < count; i += 1) {
        const ts = 1000 + i;
        if (random() < 0.45) {
          const value = random() < 0.2 ? null : `t${i}`;
          records.push({ topic: 'table', key: pick(random, keys), value, ts });
        } else {
          const key = random() < 0.1 ? null : pick(random, keys);
          const value = random() < 0.1 ? null : `s${i}`;
          records.push({ topic: 'stream', key, value, ts });
        }
      }
      return { id: `join-${join}-${seed}`, kind: 'join', join, records };
    },
  };
}

/**
 * Both sides of an inner windowed join, keys `a` and `b`, times as for windows (bursts, gaps,
 * out of order within and beyond grace), a few null keys and values.
 */
const windowedJoinCategory: Category = {
  name: 'stream-stream windowed join',
  make: (seed) => {
    const random = seededRandom(seed);
    const windows = {
      before: pick(random, [0, 2, 5]),
      after: pick(random, [0, 2, 5]),
      grace: pick(random, [0, 2, 5, 10]),
    };
    const scale = Math.max(2, windows.before + windows.after);
    const records = windowTimes(random, scale, windows.grace).map((ts, i): CaseRecord => ({
      topic: random() < 0.5 ? 'left' : 'right',
      key: random() < 0.05 ? null : pick(random, ['a', 'b']),
      value: random() < 0.05 ? null : `v${i}`,
      ts,
    }));
    return { id: `windowedJoin-${seed}`, kind: 'windowedJoin', windows, records };
  },
};

/** Rows `category:n` that change category, change n within one, and are deleted. */
const tableAggregationCategory: Category = {
  name: 'table groupBy count/reduce',
  make: (seed) => {
    const random = seededRandom(seed);
    const ids = ['v1', 'v2', 'v3', 'v4', 'v5'];
    const categories = ['music', 'news', 'sport'];
    const records: CaseRecord[] = [];
    const count = 4 + Math.floor(random() * 25);
    for (let i = 0; i < count; i += 1) {
      const value =
        random() < 0.2 ? null : `${pick(random, categories)}:${Math.floor(random() * 10)}`;
      records.push({ topic: 'table', key: pick(random, ids), value, ts: 1000 + i });
    }
    return { id: `tableAgg-${seed}`, kind: 'tableAgg', records };
  },
};

export const categories: readonly Category[] = [
  ...(['tumbling', 'hopping', 'sliding', 'session'] as const).flatMap((type) =>
    (['update', 'close'] as const).map((emit) => windowCategory(type, emit)),
  ),
  joinCategory('inner'),
  joinCategory('left'),
  windowedJoinCategory,
  tableAggregationCategory,
];

/**
 * The golden case of `test/joins/tableGroupBy.test.ts` (category changes, a move within a
 * group, deletes, a group emptied and refilled) as a table aggregation case: the suite checks
 * that Kafka Streams gives exactly what that test expects of us.
 */
export const goldenTableGroupBy: Case = {
  id: 'golden-table-groupBy',
  kind: 'tableAgg',
  records: (
    [
      ['v1', 'music:10'],
      ['v2', 'music:20'],
      ['v3', 'news:5'],
      ['v1', 'news:11'],
      ['v1', 'news:12'],
      ['v2', null],
      ['v9', null],
      ['v2', 'sports:7'],
      ['v3', 'music:5'],
    ] as const
  ).map(([key, value], i): CaseRecord => ({ topic: 'table', key, value, ts: 1000 + 10 * i })),
};
