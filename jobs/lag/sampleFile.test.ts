import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { defaultSampleFile, loadSampleHistory, saveSampleHistory } from './sampleFile.js';
import { SampleHistory } from './sampleHistory.js';

test('samples survive a save and load, so one-shot runs build a window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lag-samples-'));
  try {
    const file = join(dir, 'nested', 'samples.json');
    const history = new SampleHistory();
    const key = SampleHistory.key('g', 't', 0);
    history.add(key, { atMs: 1, offset: 5, logEndOffset: 9, lag: 4, owned: true });
    history.add(key, { atMs: 2, offset: 6, logEndOffset: 9, lag: 3, owned: false });
    saveSampleHistory(file, history);
    assert.deepEqual(loadSampleHistory(file).samples(key), history.samples(key));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing or corrupt file is an empty history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lag-samples-'));
  try {
    assert.equal([...loadSampleHistory(join(dir, 'none.json')).entries()].length, 0);
    writeFileSync(join(dir, 'bad.json'), '{"version": 99');
    assert.equal([...loadSampleHistory(join(dir, 'bad.json')).entries()].length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prune drops old samples and empty partitions; duplicates of one look are ignored', () => {
  const history = new SampleHistory();
  const key = SampleHistory.key('g', 't', 1);
  history.add(key, { atMs: 100, offset: 1, logEndOffset: 1, lag: 0, owned: true });
  history.add(key, { atMs: 100, offset: 2, logEndOffset: 2, lag: 0, owned: true });
  assert.equal(history.samples(key).length, 1);
  history.prune(1_000, 500);
  assert.equal([...history.entries()].length, 0);
});

test('the default file is per cluster under REELSTREAM_HOME', () => {
  const a = defaultSampleFile(['b:1', 'a:1'], { REELSTREAM_HOME: '/x' });
  assert.equal(a, defaultSampleFile(['a:1', 'b:1'], { REELSTREAM_HOME: '/x' }));
  assert.notEqual(a, defaultSampleFile(['c:1'], { REELSTREAM_HOME: '/x' }));
  assert.match(a, /^\/x\/lag\/samples-[0-9a-f]{12}\.json$/);
});
