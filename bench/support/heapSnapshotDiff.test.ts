import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeHeapSnapshot } from 'node:v8';

/** What the test makes more of between its snapshots, held by a Map like a cache. */
class LeakyEntry {
  constructor(readonly bytes: Buffer) {}
}

test('names the constructor that grew between two snapshots, and the Map that holds it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heap-diff-'));
  try {
    const cache = new Map<number, LeakyEntry>();
    const first = writeHeapSnapshot(join(dir, 'first.heapsnapshot'));
    for (let i = 0; i < 5_000; i++) {
      cache.set(i, new LeakyEntry(Buffer.alloc(64, i)));
    }
    const second = writeHeapSnapshot(join(dir, 'second.heapsnapshot'));
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'heapSnapshotDiff.ts'),
        first,
        second,
        '--top',
        '10',
        '--retainers',
        'LeakyEntry',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    const growthRow = run.stdout.split('\n').find((line) => line.includes('object:LeakyEntry'));
    assert.match(growthRow ?? '', /\s5,000\s+object:LeakyEntry/, run.stdout);
    assert.match(run.stdout, /what holds the 5000 objects of LeakyEntry new in the last snapshot/);
    assert.match(run.stdout, /\s5000\s+.*object:Map\.table/);
    assert.equal(cache.size, 5_000); // held until here, so both snapshots see what they should
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses fewer than two snapshots', () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'heapSnapshotDiff.ts'), 'only.heapsnapshot'],
    { encoding: 'utf8' },
  );
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /at least two snapshots/);
});
