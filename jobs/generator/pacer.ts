import { setTimeout as sleep } from 'node:timers/promises';

import type { GeneratedEvent } from './generatedEvent.js';

/**
 * Maps event time to wall time: the first event time seen is "now", and event time then runs
 * `speed` times as fast as the wall clock (1: real time; Infinity: no waiting at all).
 */
export class Pacer {
  private readonly speed: number;
  private readonly now: () => number;
  private origin: { wall: number; event: number } | undefined;

  constructor(speed: number, now: () => number = () => performance.now()) {
    if (!(speed > 0)) {
      throw new RangeError(`speed must be positive, got ${speed}`);
    }
    this.speed = speed;
    this.now = now;
  }

  /** Milliseconds to wait before an event with this event time is due (0 when it is). */
  delayFor(eventTime: number): number {
    if (this.speed === Infinity) {
      return 0;
    }
    const wall = this.now();
    this.origin ??= { wall, event: eventTime };
    const due = this.origin.wall + (eventTime - this.origin.event) / this.speed;
    return Math.max(0, due - wall);
  }
}

/**
 * The events as an async source that releases each one when it is due by event time:
 * what the demo and tests use to feed a pipeline in real time (or `speed` times faster).
 *
 * @example
 * ```ts
 * for await (const event of paced(take(traffic.events(), 1000), { speed: 10 })) send(event);
 * ```
 */
export async function* paced(
  events: Iterable<GeneratedEvent>,
  options: { speed: number; now?: () => number; sleep?: (ms: number) => Promise<unknown> },
): AsyncGenerator<GeneratedEvent> {
  const pacer = new Pacer(options.speed, options.now);
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  for (const event of events) {
    const delay = pacer.delayFor(event.value.eventTime);
    if (delay > 0) {
      await wait(delay);
    }
    yield event;
  }
}
