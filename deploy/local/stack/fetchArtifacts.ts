import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { repoRoot } from './stackSettings.js';

/**
 * Runs one of the idempotent `deploy/local/<service>/fetch.sh` scripts, which download a pinned
 * artifact into the cache once (Maven Central) and print its directory as their last line.
 * Warm runs return at once without touching the network.
 */
export function fetchArtifacts(service: 'kafka' | 'registry', cacheDir: string): string {
  const script = join(repoRoot, 'deploy', 'local', service, 'fetch.sh');
  const result = spawnSync('bash', [script, cacheDir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) {
    throw new Error(`${script} failed (exit ${String(result.status)}); see the messages above`);
  }
  const lines = result.stdout.trim().split('\n');
  const dir = lines[lines.length - 1];
  if (dir === undefined || dir === '') {
    throw new Error(`${script} printed no directory`);
  }
  return dir;
}
