import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidTransitionError, JobLifecycle, type JobState } from './jobLifecycle.js';

test('a job goes created → starting → running ⇄ rebalancing → stopping → stopped', () => {
  const lifecycle = new JobLifecycle();
  const seen: string[] = [];
  lifecycle.onChange((to, from) => seen.push(`${from}>${to}`));
  for (const state of [
    'starting',
    'running',
    'rebalancing',
    'running',
    'stopping',
    'stopped',
  ] as const) {
    lifecycle.moveTo(state);
  }
  assert.equal(lifecycle.state, 'stopped');
  assert.deepEqual(seen, [
    'created>starting',
    'starting>running',
    'running>rebalancing',
    'rebalancing>running',
    'running>stopping',
    'stopping>stopped',
  ]);
});

test('invalid transitions are rejected and leave the state as it was', () => {
  const cases: [JobState[], JobState][] = [
    [[], 'running'],
    [['starting', 'running', 'stopping', 'stopped'], 'starting'],
    [['starting', 'running', 'stopping', 'stopped'], 'failed'],
    [['starting', 'running'], 'stopped'],
  ];
  for (const [path, next] of cases) {
    const lifecycle = new JobLifecycle();
    path.forEach((state) => lifecycle.moveTo(state));
    const before = lifecycle.state;
    assert.throws(() => lifecycle.moveTo(next), InvalidTransitionError, `${before} → ${next}`);
    assert.equal(lifecycle.state, before);
  }
});

test('a failed job can only be stopped', () => {
  const lifecycle = new JobLifecycle();
  lifecycle.moveTo('starting');
  lifecycle.moveTo('failed');
  assert.equal(lifecycle.canMoveTo('running'), false);
  lifecycle.moveTo('stopping');
  lifecycle.moveTo('stopped');
});

test('an outage moves a job to recovering and back, from any live state', () => {
  for (const from of ['starting', 'running', 'rebalancing'] as const) {
    const lifecycle = new JobLifecycle();
    lifecycle.moveTo('starting');
    if (from !== 'starting') {
      lifecycle.moveTo('running');
      if (from === 'rebalancing') {
        lifecycle.moveTo('rebalancing');
      }
    }
    lifecycle.moveTo('recovering');
    assert.equal(lifecycle.canMoveTo('running'), true);
    assert.equal(lifecycle.canMoveTo('stopping'), true);
    assert.equal(lifecycle.canMoveTo('failed'), true);
    assert.equal(lifecycle.canMoveTo('starting'), false);
    lifecycle.moveTo('rebalancing');
    lifecycle.moveTo('running');
  }
});
