import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  readGlobalCheckpoints,
  recordsBehind,
  waitForGlobalTables,
  type TopicEnds,
} from './globalTablesCaughtUp.js';

function checkpoint(dir: string, table: string, offsets: Record<string, string>): void {
  mkdirSync(join(dir, 'global', table), { recursive: true });
  writeFileSync(
    join(dir, 'global', table, 'checkpoint.json'),
    JSON.stringify({ version: 1, topic: `topic-${table}`, offsets }),
  );
}

const ends = (high: number, low = 0): TopicEnds =>
  new Map([
    [0, { low: BigInt(low), high: BigInt(high) }],
    [1, { low: 0n, high: 0n }],
  ]);

test('records behind: up to the last commit marker counts as caught up', () => {
  const at = (next: number) => ({ table: 't', topic: 'x', offsets: new Map([[0, BigInt(next)]]) });
  assert.equal(recordsBehind(at(10), ends(11)), 0); // the marker at 10
  assert.equal(recordsBehind(at(11), ends(11)), 0);
  assert.equal(recordsBehind(at(4), ends(11)), 6);
  assert.equal(recordsBehind({ ...at(0), offsets: new Map() }, ends(11, 3)), 7);
});

test('waits until every table is at the end and stable, or gives up saying which lag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'global-tables-'));
  try {
    assert.deepEqual(readGlobalCheckpoints(dir), []);
    checkpoint(dir, 'a', { '0': '10' });
    checkpoint(dir, 'b', { '0': '3' });
    mkdirSync(join(dir, 'global', 'no-checkpoint-yet'));
    assert.deepEqual(
      readGlobalCheckpoints(dir).map((c) => c.table),
      ['a', 'b'],
    );
    const lines: string[] = [];
    const topicEnds = () => Promise.resolve(ends(11));
    const options = {
      stateDir: dir,
      topicEnds,
      pollMs: 5,
      quietMs: 20,
      log: (l: string) => lines.push(l),
    };
    assert.equal(await waitForGlobalTables({ ...options, timeoutMs: 30 }), false);
    assert.match(lines[0] ?? '', /behind: b 7\)/);
    checkpoint(dir, 'b', { '0': '11' });
    const started = performance.now();
    assert.equal(await waitForGlobalTables({ ...options, timeoutMs: 1_000 }), true);
    assert.ok(performance.now() - started >= 20, 'waited for the quiet period');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
