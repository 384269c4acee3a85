import { sleep } from '../support/withTimeout.js';
import { causeMessages, isTransient } from './transientErrors.js';

/**
 * Runs `work` until it succeeds, retrying while it fails because the broker or the registry
 * cannot be reached (`isTransient`), with a backoff doubling from `initialBackoffMs` to
 * `maxBackoffMs`; any other error, or an outage longer than `maxOutageMs`, is thrown. Calls
 * `onRetry` before each wait, so the caller logs one line per attempt and counts it. For the
 * steps of clients that are not a `StreamJob` (a producer's send, creating topics): a job
 * recovers a whole run instead.
 *
 * @example
 * ```ts
 * import { connectionConfigFromEnv, untilReachable } from 'reelstream';
 *
 * // Any step that talks to the registry or the broker; here the registry's subject list.
 * const { url } = connectionConfigFromEnv().registry;
 * const subjects = await untilReachable(
 *   async () => {
 *     const response = await fetch(`${url}/subjects`);
 *     return (await response.json()) as string[];
 *   },
 *   {
 *     maxOutageMs: 60_000,
 *     onRetry: ({ attempt, outageMs, cause }) =>
 *       console.warn(`registry unreachable for ${outageMs} ms (attempt ${attempt}): ${cause}`),
 *   },
 * );
 * console.log(subjects.length);
 * ```
 * @category Runtime
 */
export async function untilReachable<T>(
  work: () => Promise<T>,
  options: {
    onRetry?: (retry: {
      attempt: number;
      outageMs: number;
      retryInMs: number;
      cause: string;
    }) => void;
    maxOutageMs?: number;
    initialBackoffMs?: number;
    maxBackoffMs?: number;
    /** Aborting stops the retries: the last error is thrown. */
    signal?: AbortSignal;
  } = {},
): Promise<T> {
  const started = Date.now();
  let backoffMs = options.initialBackoffMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const outageMs = Date.now() - started;
      if (
        !isTransient(error) ||
        outageMs >= (options.maxOutageMs ?? Infinity) ||
        options.signal?.aborted === true
      ) {
        throw error;
      }
      options.onRetry?.({ attempt, outageMs, retryInMs: backoffMs, cause: causeMessages(error) });
      await sleep(backoffMs, options.signal);
      backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs ?? 10_000);
    }
  }
}
