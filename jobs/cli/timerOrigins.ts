import { createHook } from 'node:async_hooks';

/** Set to 1 to note where each timer was created, so that a lingering one can be named. */
export const traceTimersVariable = 'REELSTREAM_TRACE_TIMERS';

interface TimerNote {
  readonly timer: { hasRef?: () => boolean };
  readonly origin: string;
}

const live = new Map<number, TimerNote>();

/**
 * When {@link traceTimersVariable} is 1, notes where every timer of the process is created
 * (an async hook: a stack per timer, too dear to run always; `reelstream faults` turns it on
 * for its processes). Node says only that a `Timeout` keeps a finished process alive; the note
 * says whose it is.
 */
export function traceTimersIfAsked(): void {
  if (process.env[traceTimersVariable] !== '1') {
    return;
  }
  createHook({
    // (asyncId, type, triggerAsyncId, resource): the resource is the Timeout object.
    init(asyncId: number, type: string, ...rest: unknown[]) {
      if (type === 'Timeout') {
        live.set(asyncId, { timer: rest[1] as TimerNote['timer'], origin: originHere() });
      }
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
}

/** Where the timers that still keep the process alive were created (empty when not traced). */
export function liveTimerOrigins(): string[] {
  return [...live.values()]
    .filter((note) => note.timer.hasRef?.() !== false)
    .map((note) => note.origin);
}

function originHere(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 25;
  try {
    return (new Error().stack ?? '')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().replace(/^at /, ''))
      .filter((frame) => !/node:|timerOrigins/.test(frame))
      .map((frame) =>
        frame.replace(/(?:file:\/\/)?\/[^\s()]*?\/(?=(?:kafkajs|operators|jobs|pipelines)\/)/, ''),
      )
      .slice(0, 8)
      .join(' < ');
  } finally {
    Error.stackTraceLimit = limit;
  }
}
