/* eslint-disable @typescript-eslint/unbound-method -- type tests only name the methods, never call them */
import { describe, expect, test } from 'tstyche';

import {
  float64Serde,
  Pipeline,
  stringSerde,
  type Stream,
  type Timer,
  type TimerService,
} from '../../operators/index.js';

const clicks = (): Stream<string, number> =>
  new Pipeline().source('clicks', { key: stringSerde, value: float64Serde });

describe('timers are keyed by the stream key', () => {
  test('ctx.timers and onTimer see the key type', () => {
    clicks().process<string, number>(
      () => ({
        process(record, ctx) {
          expect(ctx.timers).type.toBe<TimerService<string>>();
          ctx.timers.scheduleEventTime(record.key, record.timestamp + 1);
        },
        onTimer(timer, ctx) {
          expect(timer).type.toBe<Timer<string>>();
          ctx.timers.scheduleProcessingTime(timer.key, timer.timestamp + 1);
        },
      }),
      { name: 'timed', timers: { key: stringSerde } },
    );
  });

  test('a timer key of another type does not compile', () => {
    clicks().process<string, number>(
      () => ({
        process(record, ctx) {
          expect(ctx.timers.scheduleEventTime).type.not.toBeCallableWith(record.value, 0);
        },
      }),
      { name: 'timed', timers: { key: stringSerde } },
    );
  });

  test('the timer serde must serialize the stream key', () => {
    expect(clicks().process<string, number>).type.not.toBeCallableWith(
      () => ({ process: () => undefined }),
      { name: 'timed', timers: { key: float64Serde } },
    );
  });
});
