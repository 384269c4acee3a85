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
