import { execFileSync } from 'node:child_process';

/** Disk usage of a directory tree in bytes, as `du -sk` reports it (allocated blocks). */
export function diskUsageBytes(dir: string): number {
  const output = execFileSync('du', ['-sk', dir], { encoding: 'utf8' });
  return Number(output.split('\t')[0]) * 1024;
}
