import assert from 'node:assert/strict';
import { test } from 'node:test';

import { boundedByStrength, strongest, type DecayedValue } from './timeDecay.js';

const halfLifeMs = 1_000;
const options = { limit: 5, halfLifeMs, decayed: (value: DecayedValue) => value };

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const keysOf = (entries: Iterable<readonly [string, DecayedValue]>): string[] =>
  [...entries].map(([key]) => key).sort();

test('one entry over the limit drops the entry strongest() leaves out, ties included', () => {
  const next = random(7);
  for (let round = 0; round < 500; round++) {
    const entries = new Map<string, DecayedValue>();
    for (let i = 0; i <= options.limit; i++) {
      // Few distinct scores and times, and negative scores, so ties and magnitudes are met.
      entries.set(`k${Math.floor(next() * 100)}-${i}`, {
        score: (Math.floor(next() * 4) - 1.5) * 2,
        updatedTime: Math.floor(next() * 3) * 500,
      });
    }
    assert.deepEqual(
      keysOf(boundedByStrength(entries, options)),
      keysOf(strongest(entries, options)),
      `round ${round}`,
    );
  }
});

test('within the limit the entries are kept as they are; further over, ranked', () => {
  const within = new Map([['a', { score: 1, updatedTime: 0 }]]);
  assert.equal(boundedByStrength(within, options), within);
  const over = new Map(
    Array.from({ length: 8 }, (_, i): [string, DecayedValue] => [
      `k${i}`,
      { score: i, updatedTime: 0 },
    ]),
  );
  assert.deepEqual(keysOf(boundedByStrength(over, options)), ['k3', 'k4', 'k5', 'k6', 'k7']);
});
