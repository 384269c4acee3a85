/* eslint-disable @typescript-eslint/unbound-method -- type tests only name the methods, never call them */
import { describe, expect, test } from 'tstyche';

import {
  watchHeartbeatSchema,
  type WatchHeartbeat,
} from '../../schemas/generated/watchHeartbeat.js';
import {
  avroSerde,
  jsonSerde,
  Pipeline,
  stringSerde,
  type Serde,
  type Stream,
} from '../../operators/index.js';

interface Impression {
  readonly requestId: string;
  readonly videoId: string;
  readonly position: number;
}

const heartbeats = (): Stream<string, WatchHeartbeat> =>
  new Pipeline().source('heartbeats', { key: stringSerde, value: avroSerde(watchHeartbeatSchema) });

describe('types flow from the schema through every operator', () => {
  test('a source is typed by its serdes, generated from the .avsc', () => {
    expect(avroSerde(watchHeartbeatSchema)).type.toBe<Serde<WatchHeartbeat>>();
    expect(heartbeats()).type.toBe<Stream<string, WatchHeartbeat>>();
  });

  test('combinators re-type the stream', () => {
    expect(heartbeats().mapValues((hb) => hb.watchedMs)).type.toBe<Stream<string, number>>();
    expect(heartbeats().selectKey((r) => r.value.videoId.length)).type.toBe<
      Stream<number, WatchHeartbeat>
    >();
    expect(heartbeats().filter((hb) => hb.watchedMs > 0)).type.toBe<
      Stream<string, WatchHeartbeat>
    >();
    expect(heartbeats().branch([() => true])).type.toBe<Stream<string, WatchHeartbeat>[]>();
  });

  test('a correct pipeline compiles', () => {
    expect(
      heartbeats()
        .filter((hb) => hb.watchedMs > 0)
        .selectKey((r) => r.value.videoId)
        .mapValues((hb) => ({ video: hb.videoId, seconds: hb.watchedMs / 1000 }))
        .to('watch-seconds', {
          key: stringSerde,
          value: jsonSerde<{ video: string; seconds: number }>(),
        }),
    ).type.toBe<void>();
  });
});

describe('mismatches do not compile', () => {
  test('a stream of heartbeats is not a stream of impressions', () => {
    const needsImpressions = (stream: Stream<string, Impression>): Stream<string, Impression> =>
      stream;
    expect(needsImpressions).type.not.toBeCallableWith(heartbeats());
    expect(heartbeats()).type.not.toBeAssignableTo<Stream<string, Impression>>();
  });

  test('key types must match too', () => {
    const keyedByNumber = heartbeats().selectKey(() => 42);
    expect(keyedByNumber).type.not.toBeAssignableTo<Stream<string, WatchHeartbeat>>();
  });

  test('a sink serde must match the stream value type', () => {
    const stream = heartbeats();
    expect(stream.to).type.not.toBeCallableWith('out', {
      key: stringSerde,
      value: jsonSerde<Impression>(),
    });
    expect(stream.to).type.toBeCallableWith('out', {
      key: stringSerde,
      value: avroSerde(watchHeartbeatSchema),
    });
  });

  test('a serde of a wider type is not accepted either (serdes are invariant)', () => {
    expect<Serde<WatchHeartbeat | Impression>>().type.not.toBeAssignableTo<Serde<WatchHeartbeat>>();
    expect<Serde<WatchHeartbeat>>().type.not.toBeAssignableTo<Serde<WatchHeartbeat | Impression>>();
  });

  test('a repartition needs serdes of the stream types and a name', () => {
    const stream = heartbeats().selectKey((r) => r.value.videoId);
    expect(stream.groupByKey).type.not.toBeCallableWith({
      name: 'x',
      serdes: { key: stringSerde, value: jsonSerde<Impression>() },
    });
    expect(stream.groupByKey).type.not.toBeCallableWith({
      serdes: { key: stringSerde, value: avroSerde(watchHeartbeatSchema) },
    });
  });
});
