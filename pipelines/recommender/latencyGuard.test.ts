import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LatencyGuard, type GuardSwitch } from './latencyGuard.js';

/** A guard on a clock the test moves, with its switches collected. */
function guarded(options: { budgetMs?: number; minSamples?: number } = {}) {
  let now = 0;
  const switches: GuardSwitch[] = [];
  const guard = new LatencyGuard({
    budgetMs: options.budgetMs ?? 100,
    minSamples: options.minSamples ?? 10,
    windowMs: 10_000,
    probeIntervalMs: 1_000,
    recoveryProbes: 3,
    now: () => now,
    onSwitch: (event) => switches.push(event),
  });
  return {
    guard,
    switches,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

test('rankings within budget keep the model', () => {
  const { guard, switches, advance } = guarded();
  for (let i = 0; i < 500; i++) {
    assert.equal(guard.admit(), 'MODEL');
    guard.record(20 + (i % 50));
    advance(20);
  }
  assert.equal(guard.mode, 'MODEL');
  assert.deepEqual(switches, []);
  assert.equal(guard.p99(), 69);
});

test('no verdict before minSamples: one slow ranking at the start does not trip', () => {
  const { guard, switches } = guarded({ minSamples: 10 });
  guard.record(900);
  for (let i = 0; i < 8; i++) {
    guard.record(10);
  }
  assert.equal(guard.mode, 'MODEL');
  assert.deepEqual(switches, []);
});

test('a P99 over budget trips to SIMPLIFIED, then probes once a second and recovers', () => {
  const { guard, switches, advance } = guarded();
  // 100 fast rankings, then slow ones: the P99 (nearest rank) crosses 100 ms at the 2nd slow.
  for (let i = 0; i < 100; i++) {
    guard.record(30);
    advance(10);
  }
  guard.record(250);
  assert.equal(guard.mode, 'MODEL', 'one slow ranking in 101 is under the P99');
  guard.record(250);
  assert.equal(guard.mode, 'SIMPLIFIED');
  assert.equal(switches.length, 1);
  assert.equal(switches[0]?.to, 'SIMPLIFIED');
  assert.equal(switches[0]?.p99Ms, 250);

  // The first request after the trip probes; the others within the second do not.
  assert.equal(guard.admit(), 'PROBE');
  assert.equal(guard.admit(), 'SIMPLIFIED', 'one probe in flight at a time');
  guard.probed(260); // still slow: the count of good probes starts over
  advance(500);
  assert.equal(guard.admit(), 'SIMPLIFIED', 'at most one probe a second');
  advance(500);
  for (let probe = 0; probe < 2; probe++) {
    assert.equal(guard.admit(), 'PROBE');
    guard.probed(40);
    assert.equal(guard.mode, 'SIMPLIFIED');
    advance(1_000);
  }
  assert.equal(guard.admit(), 'PROBE');
  guard.probed(40);
  assert.equal(guard.mode, 'MODEL', 'three good probes in a row recover');
  assert.equal(switches.length, 2);
  assert.deepEqual(switches[1], { to: 'MODEL', p99Ms: 40, budgetMs: 100, samples: 3, atMs: 4_000 });
  // The window starts empty: the slow rankings before the trip do not trip it again.
  assert.equal(guard.p99(), 0);
  guard.record(30);
  assert.equal(guard.mode, 'MODEL');
});

test('a failed probe (infinite) resets the good probes; a failed ranking counts as slow', () => {
  const { guard, advance } = guarded({ minSamples: 1 });
  guard.record(Number.POSITIVE_INFINITY);
  assert.equal(guard.mode, 'SIMPLIFIED');
  assert.equal(guard.admit(), 'PROBE');
  guard.probed(10);
  advance(1_000);
  assert.equal(guard.admit(), 'PROBE');
  guard.probed(Number.POSITIVE_INFINITY);
  for (let i = 0; i < 2; i++) {
    advance(1_000);
    assert.equal(guard.admit(), 'PROBE');
    guard.probed(10);
  }
  assert.equal(guard.mode, 'SIMPLIFIED', 'only two good probes since the failure');
  advance(1_000);
  guard.admit();
  guard.probed(10);
  assert.equal(guard.mode, 'MODEL');
});

test('slow rankings older than the window no longer count', () => {
  const { guard, advance } = guarded({ minSamples: 5 });
  for (let i = 0; i < 4; i++) {
    guard.record(500);
  }
  advance(10_001);
  for (let i = 0; i < 5; i++) {
    guard.record(20);
  }
  assert.equal(guard.mode, 'MODEL');
  assert.equal(guard.p99(), 20);
});

test('tripping again soon after recovering doubles the probe interval; a calm window resets it', () => {
  let now = 0;
  const guard = new LatencyGuard({
    budgetMs: 100,
    minSamples: 1,
    windowMs: 10_000,
    probeIntervalMs: 1_000,
    recoveryProbes: 1,
    now: () => now,
  });
  const recover = (): void => {
    assert.equal(guard.admit(), 'PROBE');
    guard.probed(10);
    assert.equal(guard.mode, 'MODEL');
  };
  // The wait between two probes after a trip: the first one slow, the second good.
  const probeGap = (): number => {
    while (guard.admit() !== 'PROBE') {
      now += 100;
    }
    guard.probed(500);
    let waited = 0;
    while (guard.admit() !== 'PROBE') {
      waited += 100;
      now += 100;
    }
    guard.probed(10);
    return waited;
  };
  guard.record(500);
  recover();
  now += 2_000;
  guard.record(500); // 2 s after recovering: 2 s between probes
  assert.equal(probeGap(), 2_000);
  now += 2_000;
  guard.record(500); // again: 4 s
  assert.equal(probeGap(), 4_000);
  now += 20_000;
  guard.record(500); // after a calm window: 1 s again
  assert.equal(probeGap(), 1_000);
});
