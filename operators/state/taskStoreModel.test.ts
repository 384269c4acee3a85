import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CacheBudget } from './caching/cacheBudget.js';
import { InMemoryStore } from './memory/inMemoryStore.js';
import { TaskStore } from './taskStore.js';

/** A small deterministic generator (mulberry32): the same seed replays the same operations. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keys of 1–3 bytes over the whole byte range, so byte order and UTF-16 order must agree. */
function keyOf(next: () => number): Buffer {
  const length = 1 + Math.floor(next() * 3);
  return Buffer.from(
    Array.from({ length }, () => [0x00, 0x41, 0x7f, 0x80, 0xc3, 0xff][Math.floor(next() * 6)] ?? 0),
  );
}

function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

test('TaskStore against a model: random puts, deletes, commits, discards and ranges agree, in byte order', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    // A tiny budget in half of the runs, so evictions interleave with everything else.
    const budget = new CacheBudget(seed % 2 === 0 ? 2_000 : 1 << 20);
    const store = new TaskStore({ name: 's', inner: new InMemoryStore(), budget });
    await store.trackKeys();
    let committed = new Map<string, string>();
    let current = new Map<string, string>();
    for (let step = 0; step < 400; step++) {
      const roll = next();
      const key = keyOf(next);
      const id = key.toString('hex');
      if (roll < 0.45) {
        const value = `v${step}`;
        store.put(key, Buffer.from(value));
        current.set(id, value);
      } else if (roll < 0.65) {
        store.delete(key);
        current.delete(id);
      } else if (roll < 0.75) {
        assert.equal(
          (await store.get(key))?.toString(),
          current.get(id),
          `seed ${seed} step ${step}: get`,
        );
      } else if (roll < 0.85) {
        const a = keyOf(next);
        const b = keyOf(next);
        const [low, high] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
        const reverse = next() < 0.5;
        const seen: string[] = [];
        for await (const [k, v] of store.range({ gte: low, lt: high, reverse })) {
          seen.push(`${k.toString('hex')}=${v.toString()}`);
        }
        const expected = [...current]
          .filter(
            ([k]) => compare(k, low.toString('hex')) >= 0 && compare(k, high.toString('hex')) < 0,
          )
          .sort(([a], [b]) => compare(a, b) * (reverse ? -1 : 1))
          .map(([k, v]) => `${k}=${v}`);
        assert.deepEqual(seen, expected, `seed ${seed} step ${step}: range`);
      } else if (roll < 0.95) {
        const changes = store.changes();
        const ids = changes.map((c) => c.key.toString('hex'));
        assert.equal(
          new Set(ids).size,
          ids.length,
          `seed ${seed} step ${step}: one change per key`,
        );
        await store.applyCommitted(changes);
        committed = new Map(current);
        assert.deepEqual(store.changes(), [], `seed ${seed} step ${step}: clean after the commit`);
      } else {
        store.discardUncommitted();
        current = new Map(committed);
      }
    }
    const all: string[] = [];
    for await (const [k, v] of store.range()) {
      all.push(`${k.toString('hex')}=${v.toString()}`);
    }
    const expected = [...current].sort(([a], [b]) => compare(a, b)).map(([k, v]) => `${k}=${v}`);
    assert.deepEqual(all, expected, `seed ${seed}: final contents`);
  }
});

test('TaskStore against a model with expired ranges: what is read is the model, or a committed value expired since the last commit', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed * 7919);
    const budget = new CacheBudget(seed % 2 === 0 ? 2_000 : 1 << 20);
    const store = new TaskStore({ name: 's', inner: new InMemoryStore(), budget });
    await store.trackKeys();
    let committed = new Map<string, string>();
    let current = new Map<string, string>();
    // Expired since the last commit and not written since: a read may still see the committed
    // value (TaskStore.expire's contract), so it is not checked until the commit.
    const uncertain = new Set<string>();
    const inRange = (id: string, low: Buffer, high: Buffer): boolean =>
      compare(id, low.toString('hex')) >= 0 && compare(id, high.toString('hex')) < 0;
    for (let step = 0; step < 300; step++) {
      const roll = next();
      const key = keyOf(next);
      const id = key.toString('hex');
      if (roll < 0.4) {
        const value = `v${step}`;
        store.put(key, Buffer.from(value));
        current.set(id, value);
        uncertain.delete(id);
      } else if (roll < 0.5) {
        // A delete of an expired key stays uncertain: the store may drop it as never committed
        // (the key filter does not know it underneath), and the committed value shows until
        // the commit clears it.
        store.delete(key);
        current.delete(id);
      } else if (roll < 0.6) {
        const a = keyOf(next);
        const [low, high] = Buffer.compare(a, key) <= 0 ? [a, key] : [key, a];
        store.expireRange(low, high);
        for (const k of new Set([...current.keys(), ...committed.keys()])) {
          if (inRange(k, low, high)) {
            current.delete(k);
            uncertain.add(k);
          }
        }
      } else if (roll < 0.75) {
        if (!uncertain.has(id)) {
          assert.equal(
            (await store.get(key))?.toString(),
            current.get(id),
            `seed ${seed} step ${step}: get`,
          );
        }
      } else if (roll < 0.82) {
        const seen: string[] = [];
        for await (const [k, v] of store.range()) {
          if (!uncertain.has(k.toString('hex'))) {
            seen.push(`${k.toString('hex')}=${v.toString()}`);
          }
        }
        const expected = [...current]
          .sort(([a], [b]) => compare(a, b))
          .map(([k, v]) => `${k}=${v}`);
        assert.deepEqual(seen, expected, `seed ${seed} step ${step}: range`);
      } else if (roll < 0.95) {
        await store.applyCommitted(store.changes());
        committed = new Map(current);
        uncertain.clear();
      } else {
        store.discardUncommitted();
        current = new Map(committed);
        uncertain.clear();
      }
    }
    await store.applyCommitted(store.changes());
    const all: string[] = [];
    for await (const [k, v] of store.range()) {
      all.push(`${k.toString('hex')}=${v.toString()}`);
    }
    const expected = [...current].sort(([a], [b]) => compare(a, b)).map(([k, v]) => `${k}=${v}`);
    assert.deepEqual(all, expected, `seed ${seed}: final contents`);
  }
});
