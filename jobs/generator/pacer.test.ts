import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { GeneratedEvent } from './generatedEvent.js';
import { Pacer, paced } from './pacer.js';

test('maps event time onto the wall clock at the given speed', () => {
  let wall = 1_000;
  const pacer = new Pacer(2, () => wall);
  assert.equal(pacer.delayFor(50_000), 0); // the first event sets the origin
  assert.equal(pacer.delayFor(54_000), 2_000);
  wall = 3_500;
  assert.equal(pacer.delayFor(54_000), 0);
  assert.equal(new Pacer(Infinity).delayFor(1e15), 0);
  assert.throws(() => new Pacer(0), RangeError);
});

test('paced() releases events when they are due', async () => {
  let wall = 0;
  const waits: number[] = [];
  const events: GeneratedEvent[] = [0, 0, 1_000, 3_000].map((eventTime) => ({
    kind: 'watchHeartbeats',
    value: { userId: 'u', videoId: 'v', sessionId: 's', watchedMs: 0, eventTime },
  }));
  const out: number[] = [];
  const source = paced(events, {
    speed: 1,
    now: () => wall,
    sleep: (ms) => {
      waits.push(ms);
      wall += ms;
      return Promise.resolve();
    },
  });
  for await (const event of source) {
    out.push(event.value.eventTime);
  }
  assert.deepEqual(out, [0, 0, 1_000, 3_000]);
  assert.deepEqual(waits, [1_000, 2_000]);
});
