/** A step that did not finish within its time. @category Support */
export class StepTimeoutError extends Error {
  override readonly name = 'StepTimeoutError';
}

/**
 * The work's result, or a {@link StepTimeoutError} once `ms` have passed. The work itself goes
 * on (a promise cannot be cancelled); this only stops waiting for it, which is what a stop that
 * must end in bounded time needs from a broker that does not answer.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(`${what}: no answer in ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
