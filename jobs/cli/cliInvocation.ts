import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How to run `reelstream <args>` as a child of this process: the CLI beside this module
 * (main.ts under tsx, main.js when built), under this node with this process's loader flags
 * and `nodeFlags`.
 */
export function cliInvocation(
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const cli = join(dirname(here), `main${extname(here)}`);
  return { command: process.execPath, args: [...process.execArgv, ...nodeFlags, cli, ...args] };
}

/**
 * `invocation` run at a lower scheduling priority (`nice -n <nice>`; 0 runs it as it is). Given
 * at the start, so every thread of the process has it: Linux keeps a nice value per thread, and
 * a priority lowered after start reaches only the main thread, not libuv's pool, RocksDB's
 * background threads or V8's.
 */
export function atNice(
  invocation: { command: string; args: string[] },
  nice: number,
): { command: string; args: string[] } {
  if (nice === 0) {
    return invocation;
  }
  return { command: 'nice', args: ['-n', String(nice), invocation.command, ...invocation.args] };
}
