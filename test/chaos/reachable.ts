/**
 * The harness's own clients (admin polls, the input producer, the verifier's reads) ride through
 * a broker that is down or paused: every call is retried while it fails for want of a reachable
 * broker or registry (`isTransient`), with one log line when an outage starts and one every
 * 10 s while it lasts, instead of ending the run on `KafkaJSNumberOfRetriesExceeded`.
 */
import { untilReachable } from '../../operators/index.js';

/** Runs `work` until it gets through; `what` names it in the log. Other errors are thrown. */
export type Reach = <T>(what: string, work: () => Promise<T>) => Promise<T>;

/** How often an outage that goes on is logged again. */
const logEveryMs = 10_000;

export function reachable(log: (line: string) => void = () => undefined): Reach {
  return <T>(what: string, work: () => Promise<T>): Promise<T> => {
    let lastLog = -Infinity;
    return untilReachable(work, {
      maxBackoffMs: 2_000,
      onRetry: ({ attempt, outageMs, cause }) => {
        if (attempt === 1 || performance.now() - lastLog >= logEveryMs) {
          lastLog = performance.now();
          log(
            `harness: ${what}: cluster unreachable for ${(outageMs / 1000).toFixed(0)} s ` +
              `(${cause}); retrying`,
          );
        }
      },
    });
  };
}
