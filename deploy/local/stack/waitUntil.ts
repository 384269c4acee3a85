import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it resolves true, `stillAlive` turns false, or `timeoutMs` passes.
 * Returns the outcome instead of throwing, so callers can attach the service's log to the error.
 */
export async function waitUntil(options: {
  probe: () => Promise<boolean>;
  stillAlive: () => boolean;
  timeoutMs: number;
  intervalMs?: number;
}): Promise<'ready' | 'died' | 'timeout'> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await options.probe().catch(() => false)) {
      return 'ready';
    }
    if (!options.stillAlive()) {
      return 'died';
    }
    await sleep(options.intervalMs ?? 500);
  }
  return 'timeout';
}
