import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { cliInvocation } from '../cli/cliInvocation.js';

/** One consumer group's lag, as `reelstream lag --json` reports it. */
export interface GroupLag {
  readonly group: string;
  readonly status: string;
  /** Burrow's reason for the status: CAUGHT_UP, INSUFFICIENT_DATA, SLOW, STALL, … */
  readonly reason: string;
  readonly totalLag: number;
  readonly maxTimeLagSeconds: number;
}

/**
 * Consumer lag of the demo's jobs, from the lag CLI (`reelstream lag --json`), the tool on-call
 * uses, run as a child process. Samples accumulate in `sampleFile` across calls, so the status is
 * judged on the trend over the CLI's window (Burrow's rules), not on one look: a single sample
 * can only say INSUFFICIENT_DATA.
 */
export async function jobLag(
  groupPattern: string,
  sampleFile: string,
): Promise<readonly GroupLag[]> {
  const lag = cliInvocation(['lag', '--json', '--state-file', sampleFile, '--group', groupPattern]);
  const { stdout } = await promisify(execFile)(lag.command, lag.args, { env: process.env });
  return (JSON.parse(stdout) as { groups: GroupLag[] }).groups;
}

/** Where the demo keeps the lag CLI's samples: in its state directory, so a reset clears them. */
export function lagSampleFile(stateDir: string): string {
  return join(stateDir, 'lag-samples.json');
}

/** `    <group>  <status> (<reason>)  lag N records, S s behind` lines. */
export function formatLag(groups: readonly GroupLag[]): string[] {
  return groups.map(
    (g) =>
      `    ${g.group.padEnd(22)} ${`${g.status} (${g.reason})`.padEnd(24)} lag ${g.totalLag} records, ` +
      `${g.maxTimeLagSeconds.toFixed(1)} s behind`,
  );
}
