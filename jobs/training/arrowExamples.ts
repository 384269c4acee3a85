import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  Int8,
  List,
  Table,
  TimestampMillisecond,
  Utf8,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';

/**
 * Training examples as Apache Arrow columns, one row per example: the label, then the user's
 * features flattened into plain and list columns a trainer reads without parsing (the columns
 * are listed in docs/training.md). Maps (affinities) are parallel lists: ids, scores, times.
 */

/**
 * Version of the column layout, in the schema's metadata (`reelstream.examples.version`).
 * 2: `clicked` (the feedback window's click label, null without one).
 */
export const exampleColumnsVersion = '2';

const utf8List = (): List<Utf8> => new List(new Field('item', new Utf8(), false));
const floatList = (): List<Float64> => new List(new Field('item', new Float64(), false));
const timeList = (): List<TimestampMillisecond> =>
  new List(new Field('item', new TimestampMillisecond(), false));

type Row = TrainingExample;
interface Column {
  readonly name: string;
  readonly type: DataType;
  readonly value: (row: Row) => unknown;
}

const ordered = <T>(map: Readonly<Record<string, T>>): [string, T][] =>
  Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const big = (n: number): bigint => BigInt(Math.round(n));

const featureColumn = <T>(
  name: string,
  type: DataType,
  value: (features: UserFeatures) => T,
): Column => ({
  name,
  type,
  value: (row) => (row.features === null ? null : value(row.features)),
});

/** Every column, in file order. */
const columns: readonly Column[] = [
  { name: 'userId', type: new Utf8(), value: (r) => r.userId },
  { name: 'videoId', type: new Utf8(), value: (r) => r.videoId },
  { name: 'requestId', type: new Utf8(), value: (r) => r.requestId },
  { name: 'position', type: new Int32(), value: (r) => r.position },
  { name: 'exampleTime', type: new TimestampMillisecond(), value: (r) => r.exampleTime },
  { name: 'labelTime', type: new TimestampMillisecond(), value: (r) => r.labelTime },
  { name: 'watchedMs', type: new Int64(), value: (r) => big(r.watchedMs) },
  { name: 'videoDurationMs', type: new Int64(), value: (r) => big(r.videoDurationMs) },
  { name: 'rating', type: new Int8(), value: (r) => r.rating },
  { name: 'positive', type: new Bool(), value: (r) => r.positive },
  { name: 'disliked', type: new Bool(), value: (r) => r.disliked },
  { name: 'clicked', type: new Bool(), value: (r) => r.clicked ?? null },
  { name: 'hasFeatures', type: new Bool(), value: (r) => r.features !== null },
  featureColumn('featuresTime', new TimestampMillisecond(), (f) => f.updatedTime),
  featureColumn('affinityHalfLifeMs', new Int64(), (f) => big(f.affinityHalfLifeMs)),
  featureColumn('watchCount', new Int32(), (f) => f.watchCount),
  featureColumn('averageWatchRatio', new Float64(), (f) => f.averageWatchRatio),
  featureColumn('lastWatchedVideoIds', utf8List(), (f) => f.lastWatched.map((w) => w.videoId)),
  featureColumn('lastWatchedMs', floatList(), (f) => f.lastWatched.map((w) => w.watchedMs)),
  featureColumn('lastWatchedRatios', floatList(), (f) => f.lastWatched.map((w) => w.watchRatio)),
  featureColumn('lastWatchedTimes', timeList(), (f) => f.lastWatched.map((w) => w.eventTime)),
  featureColumn('categoryIds', utf8List(), (f) => ordered(f.categoryAffinity).map(([k]) => k)),
  featureColumn('categoryScores', floatList(), (f) =>
    ordered(f.categoryAffinity).map(([, a]) => a.score),
  ),
  featureColumn('categoryTimes', timeList(), (f) =>
    ordered(f.categoryAffinity).map(([, a]) => a.updatedTime),
  ),
  featureColumn('creatorIds', utf8List(), (f) => ordered(f.creatorAffinity).map(([k]) => k)),
  featureColumn('creatorScores', floatList(), (f) =>
    ordered(f.creatorAffinity).map(([, a]) => a.score),
  ),
  featureColumn('creatorTimes', timeList(), (f) =>
    ordered(f.creatorAffinity).map(([, a]) => a.updatedTime),
  ),
  featureColumn('negativeVideoIds', utf8List(), (f) => f.recentNegatives.map((n) => n.videoId)),
  featureColumn('negativeCreatorIds', utf8List(), (f) => f.recentNegatives.map((n) => n.creatorId)),
  featureColumn('negativeTypes', utf8List(), (f) => f.recentNegatives.map((n) => n.type)),
  featureColumn('negativeTimes', timeList(), (f) => f.recentNegatives.map((n) => n.eventTime)),
];

/** The column names, in file order. */
export const exampleColumnNames: readonly string[] = columns.map((c) => c.name);

/** The examples as one Arrow IPC file (the random-access "file" format, `.arrow`). */
export function examplesToArrowFile(examples: readonly TrainingExample[]): Uint8Array {
  const vectors = Object.fromEntries(
    columns.map((column) => [
      column.name,
      vectorFromArray(
        examples.map((e) => column.value(e)),
        column.type,
      ),
    ]),
  );
  const table = new Table(vectors);
  table.schema.metadata.set('reelstream.examples.version', exampleColumnsVersion);
  return tableToIPC(table, 'file');
}

/** The examples of an Arrow IPC file written by {@link examplesToArrowFile}. */
export function examplesFromArrowFile(bytes: Uint8Array): TrainingExample[] {
  const table = tableFromIPC(bytes);
  const rows: TrainingExample[] = [];
  const get = (name: string, index: number): unknown => table.getChild(name)?.get(index);
  const list = <T>(name: string, index: number): T[] => {
    const value = get(name, index) as { toArray(): ArrayLike<T> } | null;
    return value === null ? [] : Array.from(value.toArray());
  };
  for (let i = 0; i < table.numRows; i++) {
    const num = (name: string): number => Number(get(name, i));
    const nullable = <T>(name: string): T | null => (get(name, i) ?? null) as T | null;
    const mapOf = (prefix: string): Record<string, { score: number; updatedTime: number }> => {
      const ids = list<string>(`${prefix}Ids`, i);
      const scores = list<number>(`${prefix}Scores`, i);
      const times = list<number>(`${prefix}Times`, i);
      return Object.fromEntries(
        ids.map((id, k) => [id, { score: scores[k] ?? 0, updatedTime: Number(times[k]) }]),
      );
    };
    const features: UserFeatures | null =
      get('hasFeatures', i) !== true
        ? null
        : {
            userId: String(get('userId', i)),
            lastWatched: list<string>('lastWatchedVideoIds', i).map((videoId, k) => ({
              videoId,
              watchedMs: list<number>('lastWatchedMs', i)[k] ?? 0,
              watchRatio: list<number>('lastWatchedRatios', i)[k] ?? 0,
              eventTime: Number(list<number>('lastWatchedTimes', i)[k]),
            })),
            categoryAffinity: mapOf('category'),
            creatorAffinity: mapOf('creator'),
            affinityHalfLifeMs: num('affinityHalfLifeMs'),
            averageWatchRatio: num('averageWatchRatio'),
            watchCount: num('watchCount'),
            recentNegatives: list<string>('negativeVideoIds', i).map((videoId, k) => ({
              videoId,
              creatorId: list<string>('negativeCreatorIds', i)[k] ?? '',
              type: list<string>('negativeTypes', i)[k] === 'DISLIKE' ? 'DISLIKE' : 'DISMISS',
              eventTime: Number(list<number>('negativeTimes', i)[k]),
            })),
            updatedTime: num('featuresTime'),
          };
    rows.push({
      userId: String(get('userId', i)),
      videoId: String(get('videoId', i)),
      requestId: String(get('requestId', i)),
      position: num('position'),
      exampleTime: num('exampleTime'),
      labelTime: num('labelTime'),
      watchedMs: num('watchedMs'),
      videoDurationMs: num('videoDurationMs'),
      rating: nullable<number>('rating'),
      positive: nullable<boolean>('positive'),
      disliked: nullable<boolean>('disliked'),
      clicked: nullable<boolean>('clicked'),
      features,
    });
  }
  return rows;
}
