import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import type { PartitionSample } from './partitionSample.js';
import { SampleHistory } from './sampleHistory.js';

/** On-disk form. Bump `version` when the shape changes; an unknown version is ignored. */
interface SampleFileContent {
  readonly version: 1;
  readonly partitions: Record<string, PartitionSample[]>;
}

/**
 * Default place of the sample file: one per cluster (keyed by its broker list) under
 * `$REELSTREAM_HOME/lag/` (default `~/.cache/reelstream/lag/`), so a cron job that runs
 * `reelstream lag --alert` every minute builds up a real window.
 */
export function defaultSampleFile(brokers: readonly string[], env: NodeJS.ProcessEnv): string {
  const home = env['REELSTREAM_HOME'] ?? join(homedir(), '.cache', 'reelstream');
  const cluster = createHash('sha256')
    .update([...brokers].sort().join(','))
    .digest('hex');
  return join(home, 'lag', `samples-${cluster.slice(0, 12)}.json`);
}

/** Reads the history; a missing, unreadable or foreign file is an empty history, not an error. */
export function loadSampleHistory(path: string): SampleHistory {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return new SampleHistory();
  }
  if (!isSampleFileContent(content)) {
    return new SampleHistory();
  }
  return new SampleHistory(Object.entries(content.partitions).filter(([, s]) => Array.isArray(s)));
}

/** Writes the history atomically (temp file + rename), so a concurrent reader never sees half. */
export function saveSampleHistory(path: string, history: SampleHistory): void {
  const content: SampleFileContent = {
    version: 1,
    partitions: Object.fromEntries([...history.entries()].map(([k, s]) => [k, [...s]])),
  };
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(content));
  renameSync(temp, path);
}

function isSampleFileContent(value: unknown): value is SampleFileContent {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { version?: unknown }).version === 1 &&
    typeof (value as { partitions?: unknown }).partitions === 'object'
  );
}
