/**
 * The harness's own clients (admin polls, the input producer, the verifier's reads) ride through
 * a broker that is down, restarting or paused: every call is retried while it fails for want of
 * a reachable broker or registry (`untilReachable`, `isTransient`), with one log line when an
 * outage starts and one every 10 s while it lasts, instead of ending the run on
 * `KafkaJSNumberOfRetriesExceeded`.
 *
 * Any other protocol error kafkajs marks retriable (e.g. `UNKNOWN_TOPIC_OR_PARTITION`, which
 * `isTransient` leaves out on purpose, from a broker that has just restarted or a topic the job
 * created a moment ago) is retried here too, for at most {@link retriableForMs}: the harness
 * polls the job's repartition topics as soon as they appear.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { untilReachable } from '../../operators/index.js';

/** Runs `work` until it gets through; `what` names it in the log. Other errors are thrown. */
export type Reach = <T>(what: string, work: () => Promise<T>) => Promise<T>;

/** How often an outage that goes on is logged again. */
const logEveryMs = 10_000;

/** How long retriable protocol errors (leadership not back yet) are retried. */
const retriableForMs = 120_000;

export function reachable(log: (line: string) => void = () => undefined): Reach {
  return async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    let lastLog = -Infinity;
    const started = performance.now();
    const say = (seconds: number, cause: string): void => {
      if (performance.now() - lastLog >= logEveryMs) {
        lastLog = performance.now();
        log(
          `harness: ${what}: cluster unavailable for ${seconds.toFixed(0)} s (${cause}); retrying`,
        );
      }
    };
    for (;;) {
      try {
        return await untilReachable(work, {
          maxBackoffMs: 2_000,
          onRetry: ({ outageMs, cause }) => say(outageMs / 1000, cause),
        });
      } catch (error) {
        const seconds = (performance.now() - started) / 1000;
        const protocol = retriableProtocolError(error);
        if (protocol === undefined || seconds * 1000 > retriableForMs) {
          throw error;
        }
        say(seconds, protocol);
        await sleep(500);
      }
    }
  };
}

/** The type of a kafkajs protocol error it marks retriable, in the error or its causes. */
function retriableProtocolError(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const link = current as {
      retriable?: unknown;
      type?: unknown;
      cause?: unknown;
      originalError?: unknown;
    };
    if (link.retriable === true && typeof link.type === 'string') {
      return link.type;
    }
    current = link.cause ?? link.originalError;
  }
  return undefined;
}
