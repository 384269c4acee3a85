import { execFile } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** One consumer group's lag, as `reelstream lag --json` reports it. */
export interface GroupLag {
  readonly group: string;
  readonly status: string;
  readonly totalLag: number;
  readonly maxTimeLagSeconds: number;
}

/**
 * Consumer lag of the demo's jobs, from the lag CLI (`reelstream lag --json`), the tool on-call
 * uses: the CLI beside this module (main.ts under tsx, main.js when built), run with this
 * process's loader flags.
 */
export async function jobLag(groupPattern: string): Promise<readonly GroupLag[]> {
  const here = fileURLToPath(import.meta.url);
  const cli = join(dirname(here), '..', 'cli', `main${extname(here)}`);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, cli, 'lag', '--json', '--no-state', '--group', groupPattern],
    { env: process.env },
  );
  return (JSON.parse(stdout) as { groups: GroupLag[] }).groups;
}

/** `    <group>  <status>  lag N records, S s behind` lines. */
export function formatLag(groups: readonly GroupLag[]): string[] {
  return groups.map(
    (g) =>
      `    ${g.group.padEnd(22)} ${g.status.padEnd(5)} lag ${g.totalLag} records, ` +
      `${g.maxTimeLagSeconds.toFixed(1)} s behind`,
  );
}
