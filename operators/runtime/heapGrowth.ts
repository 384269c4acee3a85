import { setFlagsFromString } from 'node:v8';

import type { Logger } from 'pino';

/**
 * How far V8 lets the heap grow past what its last full collection kept before it collects
 * again, as a percentage (V8's `--heap-growing-percent`: a factor of 1 + percent / 100).
 *
 * Why a job sets it: left to itself, V8 picks the factor from how fast collections run against
 * how fast the program allocates, up to 4. A stream job allocates fast and its collections are
 * cheap, so it gets 4: on bench/stateful a 130 MB live heap held 530 MB, and V8's heap was most
 * of the process's RSS and most of its excess over Kafka Streams. With 100 (a factor of 2) the
 * same run held 360 MB, its RSS fell from 872 to 584 MB, and its records per CPU-second did
 * not fall (bench/README.md, "V8's heap growth"). 50 cut RSS further (499 MB) for a few percent
 * of CPU.
 */
export const defaultHeapGrowingPercent = 100;

const flagPattern = /--heap[-_]growing[-_]percent\b/;

let applied: number | undefined;

/**
 * Sets V8's heap growing factor for this process, once: the first job of a process decides,
 * a later job asking for another value is told in the log and changes nothing. A
 * `--heap-growing-percent` on Node's own command line always wins.
 *
 * `percent`: the job's `heapGrowingPercent`; undefined reads `REELSTREAM_HEAP_GROWING_PERCENT`,
 * else {@link defaultHeapGrowingPercent}. 0 leaves V8's own choice.
 */
export function applyHeapGrowth(
  percent: number | undefined,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const wanted = percent ?? heapGrowingPercentFromEnv(env) ?? defaultHeapGrowingPercent;
  validateHeapGrowingPercent(wanted);
  if (givenToNode()) {
    return;
  }
  if (applied !== undefined) {
    if (applied !== wanted) {
      logger.warn(
        { heapGrowingPercent: wanted, applied },
        `heap growing percent ${wanted} ignored: this process already runs with ${applied} (it is process-wide; the first job set it)`,
      );
    }
    return;
  }
  applied = wanted;
  if (wanted > 0) {
    setFlagsFromString(`--heap-growing-percent=${wanted}`);
  }
}

export function validateHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
    throw new Error(
      `heapGrowingPercent must be an integer from 0 (V8's own choice) to 1000, not ${percent}`,
    );
  }
}

function heapGrowingPercentFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['REELSTREAM_HEAP_GROWING_PERCENT'];
  if (raw === undefined || raw.trim() === '') {
    return undefined;
  }
  const percent = Number(raw);
  if (!Number.isInteger(percent)) {
    throw new Error(`REELSTREAM_HEAP_GROWING_PERCENT must be an integer, not "${raw}"`);
  }
  return percent;
}

/** On Node's command line (NODE_OPTIONS does not accept this V8 flag). */
function givenToNode(): boolean {
  return process.execArgv.some((arg) => flagPattern.test(arg));
}
