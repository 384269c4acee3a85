import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import { GroupPositions, type TopicPartitionOffset } from './groupPositions.js';

const silent = pino({ level: 'silent' });

function positions(options: { fail?: boolean } = {}) {
  let now = 1_000;
  const commits: string[][] = [];
  const group = new GroupPositions({
    intervalMs: 200,
    now: () => now,
    logger: silent,
    commit: (offsets) => {
      commits.push(offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).sort());
      return options.fail === true ? Promise.reject(new Error('rebalancing')) : Promise.resolve();
    },
  });
  return { group, commits, advance: (ms: number) => (now += ms) };
}

const at = (topic: string, partition: number, offset: number): TopicPartitionOffset => ({
  topic,
  partition,
  offset: String(offset),
});

test('positions wait for the interval, then go in one commit, the latest per partition', async () => {
  const { group, commits, advance } = positions();
  group.reached('0_0', [at('in', 0, 5)]);
  group.reached('0_0', [at('in', 0, 9)]);
  group.reached('0_1', [at('in', 1, 3)]);
  await group.flush(false);
  assert.deepEqual(commits, []);
  advance(200);
  group.reached('0_1', [at('in', 1, 4)]);
  await group.flush(false);
  assert.deepEqual(commits, [['in/0@9', 'in/1@4']]);
  // Nothing new: nothing sent, however long it has been.
  advance(1_000);
  await group.flush(true);
  assert.equal(commits.length, 1);
});

test('a forced flush commits at once; a forgotten task’s positions are not committed', async () => {
  const { group, commits } = positions();
  group.reached('0_0', [at('in', 0, 5)]);
  group.reached('0_1', [at('in', 1, 7)]);
  group.forget('0_0');
  await group.flush(true);
  assert.deepEqual(commits, [['in/1@7']]);
});

test('a refused commit is logged, not thrown, and the next positions are still committed', async () => {
  const { group, commits } = positions({ fail: true });
  group.reached('0_0', [at('in', 0, 5)]);
  await group.flush(true);
  group.reached('0_0', [at('in', 0, 6)]);
  await group.flush(true);
  assert.deepEqual(commits, [['in/0@5'], ['in/0@6']]);
});
