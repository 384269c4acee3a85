import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { BatchOperation, BytesKeyValueStore, RangeBounds } from './keyValueStore.js';
import { seededRandom } from '../support/seededRandom.js';

/**
 * Cases of the contract that an implementation may declare as a known issue (with the reason):
 * - `plainUint8Array`: keys, values and range bounds given as plain `Uint8Array`s (not
 *   `Buffer`s) are stored as those bytes. Run as a `todo` when declared.
 * - `emptyUpperBound`: `range({ lt: <empty> })` is empty (nothing sorts before the empty key).
 *   Run as a `todo` when declared.
 * - `useAfterClose`: every operation rejects after `close()`. Skipped when declared, since the
 *   failure may be a crash of the process rather than a wrong answer.
 *
 * @category State
 */
export type KeyValueStoreContractCase = 'plainUint8Array' | 'emptyUpperBound' | 'useAfterClose';

/** @category State */
export interface KeyValueStoreContractOptions {
  /** Cases this implementation is known to fail, with the reason shown in the test report. */
  readonly knownIssues?: Partial<Record<KeyValueStoreContractCase, string>>;
}

/**
 * The behaviour every {@link BytesKeyValueStore} must have, as node:test tests: run it from an
 * implementation's `*.test.ts` with a factory that opens a fresh, empty store on every call (each
 * test closes the store it opened).
 *
 * @example
 * ```ts
 * describeKeyValueStoreContract('InMemoryStore', () => Promise.resolve(new InMemoryStore()));
 * ```
 * @category State
 */
export function describeKeyValueStoreContract(
  name: string,
  open: () => Promise<BytesKeyValueStore>,
  options: KeyValueStoreContractOptions = {},
): void {
  const known = options.knownIssues ?? {};
  const todo = (which: KeyValueStoreContractCase): { todo?: string } => {
    const reason = known[which];
    return reason === undefined ? {} : { todo: reason };
  };
  const skip = (which: KeyValueStoreContractCase): { skip?: string } => {
    const reason = known[which];
    return reason === undefined ? {} : { skip: reason };
  };

  async function withStore(body: (store: BytesKeyValueStore) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  }

  describe(`BytesKeyValueStore contract: ${name}`, () => {
    test('get of a missing key is undefined, in an empty store and in a non-empty one', () =>
      withStore(async (store) => {
        assert.equal(await store.get(b(1)), undefined);
        await store.put(b(1), b(10));
        assert.equal(await store.get(b(2)), undefined);
        assert.equal(await store.get(b(1, 0)), undefined, 'a longer key is a different key');
      }));

    test('put, get, overwrite and delete', () =>
      withStore(async (store) => {
        await store.put(b(1), b(10));
        await store.put(b(2), b(20));
        assert.deepEqual(hex(await store.get(b(1))), '0a');
        await store.put(b(1), b(11, 11));
        assert.deepEqual(hex(await store.get(b(1))), '0b0b', 'the last put wins');
        await store.delete(b(1));
        assert.equal(await store.get(b(1)), undefined, 'a deleted key reads as missing');
        assert.equal(hex(await store.get(b(2))), '14', 'other keys are untouched');
        await store.delete(b(3)); // deleting a missing key is not an error
        await store.put(b(1), b(12));
        assert.equal(hex(await store.get(b(1))), '0c', 'a deleted key can be written again');
      }));

    test('an empty value is stored as an empty value, not as a missing key', () =>
      withStore(async (store) => {
        await store.put(b(1), b());
        const value = await store.get(b(1));
        assert.ok(value !== undefined);
        assert.equal(value.length, 0);
        assert.deepEqual(await entries(store), [['01', '']]);
      }));

    test('keys and values are copied: reusing the caller’s buffers changes nothing stored', () =>
      withStore(async (store) => {
        const key = Buffer.from([1]);
        const value = Buffer.from([10]);
        await store.put(key, value);
        key[0] = 2;
        value[0] = 99;
        assert.equal(hex(await store.get(b(1))), '0a');
        assert.equal(await store.get(b(2)), undefined);
        const read = await store.get(b(1));
        assert.ok(read !== undefined);
        read[0] = 77;
        assert.equal(hex(await store.get(b(1))), '0a', 'mutating a result changes nothing');
      }));

    test(
      'plain Uint8Array keys, values and bounds are bytes like Buffers',
      todo('plainUint8Array'),
      () =>
        withStore(async (store) => {
          await store.put(new Uint8Array([1, 2]), new Uint8Array([9]));
          await store.batch([
            { type: 'put', key: new Uint8Array([3]), value: new Uint8Array([0xff]) },
          ]);
          assert.equal(hex(await store.get(Buffer.from([1, 2]))), '09');
          assert.equal(hex(await store.get(new Uint8Array([3]))), 'ff');
          assert.deepEqual(
            await entries(store, { gte: new Uint8Array([1]), lt: new Uint8Array([4]) }),
            [
              ['0102', '09'],
              ['03', 'ff'],
            ],
          );
        }),
    );

    test('batch: puts and deletes mixed, later operations on a key win, all visible after it resolves', () =>
      withStore(async (store) => {
        await store.put(b(1), b(1));
        await store.put(b(2), b(2));
        await store.put(b(3), b(3));
        await store.batch([
          { type: 'put', key: b(4), value: b(4) },
          { type: 'delete', key: b(1) },
          { type: 'put', key: b(2), value: b(20) },
          { type: 'put', key: b(5), value: b(5) },
          { type: 'delete', key: b(5) }, // put then delete: gone
          { type: 'delete', key: b(3) },
          { type: 'put', key: b(3), value: b(30) }, // delete then put: present
          { type: 'put', key: b(6), value: b(6) },
          { type: 'put', key: b(6), value: b(60) }, // put twice: the last value
          { type: 'delete', key: b(9) }, // deleting a missing key
        ]);
        assert.deepEqual(await entries(store), [
          ['02', '14'],
          ['03', '1e'],
          ['04', '04'],
          ['06', '3c'],
        ]);
        assert.equal(await store.get(b(1)), undefined);
        assert.equal(await store.get(b(5)), undefined);
        await store.batch([]);
        assert.equal((await entries(store)).length, 4, 'an empty batch changes nothing');
      }));

    test('empty keys are rejected, and a batch holding one applies none of its operations', () =>
      withStore(async (store) => {
        await store.put(b(1), b(1));
        await assert.rejects(store.put(b(), b(1)));
        await assert.rejects(
          store.batch([
            { type: 'put', key: b(2), value: b(2) },
            { type: 'delete', key: b(1) },
            { type: 'put', key: b(), value: b(3) },
          ]),
        );
        assert.deepEqual(await entries(store), [['01', '01']], 'the rejected batch left no trace');
      }));

    test('range: no bounds (or {}) yields every entry in key order', () =>
      withStore(async (store) => {
        assert.deepEqual(await entries(store), [], 'an empty store');
        await store.batch([3, 1, 2].map((k) => put(b(k), b(k * 10))));
        const all = [
          ['01', '0a'],
          ['02', '14'],
          ['03', '1e'],
        ];
        assert.deepEqual(await entries(store), all);
        assert.deepEqual(await entries(store, {}), all);
        assert.deepEqual(await entries(store, { reverse: true }), all.toReversed());
      }));

    test('range: gte is inclusive, lt exclusive, bounds need not be keys', () =>
      withStore(async (store) => {
        await store.batch([10, 20, 30, 40, 50].map((k) => put(b(k), b(k))));
        assert.deepEqual(await keys(store, { gte: b(20), lt: b(40) }), ['14', '1e']);
        assert.deepEqual(await keys(store, { gte: b(15), lt: b(45) }), ['14', '1e', '28']);
        assert.deepEqual(await keys(store, { gte: b(30) }), ['1e', '28', '32']);
        assert.deepEqual(await keys(store, { lt: b(30) }), ['0a', '14']);
        assert.deepEqual(await keys(store, { gte: b(30, 0) }), ['28', '32'], 'prefix bound');
        assert.deepEqual(await keys(store, { lt: b(30, 0) }), ['0a', '14', '1e'], 'prefix bound');
      }));

    test('range: reverse and limit, alone and together', () =>
      withStore(async (store) => {
        await store.batch([10, 20, 30, 40, 50].map((k) => put(b(k), b(k))));
        const bounds = { gte: b(20), lt: b(50) };
        assert.deepEqual(await keys(store, { ...bounds, reverse: true }), ['28', '1e', '14']);
        assert.deepEqual(await keys(store, { ...bounds, limit: 2 }), ['14', '1e']);
        assert.deepEqual(await keys(store, { ...bounds, reverse: true, limit: 2 }), ['28', '1e']);
        assert.deepEqual(await keys(store, { reverse: true, limit: 1 }), ['32']);
        assert.deepEqual(await keys(store, { limit: 1 }), ['0a']);
        assert.deepEqual(await keys(store, { limit: 100 }), ['0a', '14', '1e', '28', '32']);
        assert.deepEqual(await keys(store, { limit: 0 }), [], 'limit 0 yields nothing');
        assert.deepEqual(await keys(store, { limit: -1 }), ['0a', '14', '1e', '28', '32']);
      }));

    test('range: empty ranges yield nothing', () =>
      withStore(async (store) => {
        await store.batch([10, 20, 30].map((k) => put(b(k), b(k))));
        for (const reverse of [false, true]) {
          assert.deepEqual(await keys(store, { gte: b(20), lt: b(20), reverse }), [], 'gte = lt');
          assert.deepEqual(await keys(store, { gte: b(30), lt: b(10), reverse }), [], 'gte > lt');
          assert.deepEqual(await keys(store, { gte: b(21), lt: b(29), reverse }), [], 'a gap');
          assert.deepEqual(await keys(store, { gte: b(31), reverse }), [], 'past the last key');
          assert.deepEqual(await keys(store, { lt: b(10), reverse }), [], 'before the first');
        }
        assert.deepEqual(await keys(store, { gte: b() }), ['0a', '14', '1e'], 'gte: empty key');
      }));

    test('range: an empty lt bound is an empty range', todo('emptyUpperBound'), () =>
      withStore(async (store) => {
        await store.put(b(1), b(1));
        assert.deepEqual(await keys(store, { lt: b() }), []);
      }),
    );

    test('clear deletes exactly the keys in [gte, lt), bounds need not be keys', () =>
      withStore(async (store) => {
        await store.batch([10, 20, 30, 40, 50].map((k) => put(b(k), b(k))));
        await store.clear({ gte: b(20), lt: b(40) });
        assert.deepEqual(await keys(store), ['0a', '28', '32']);
        await store.clear({ gte: b(41), lt: b(45) });
        await store.clear({ gte: b(50), lt: b(50) });
        await store.clear({ gte: b(60), lt: b(10) });
        assert.deepEqual(await keys(store), ['0a', '28', '32'], 'empty ranges delete nothing');
        await store.clear({ gte: b(), lt: b(45) });
        assert.deepEqual(await keys(store), ['32'], 'an empty gte is the start');
        await store.put(b(20), b(2));
        assert.equal(hex(await store.get(b(20))), '02', 'a cleared key can be written again');
      }));

    test('keys order bytewise (unsigned bytes, shorter prefix first), not as strings', () =>
      withStore(async (store) => {
        const ordered = [
          [0x00],
          [0x00, 0x00],
          [0x00, 0xff],
          [0x01],
          [0x01, 0x00],
          [0x01, 0x00, 0x00],
          [0x01, 0xff],
          [0x02],
          [0x41],
          [0x7f],
          [0x80], // as a signed byte this would sort first
          [0xc3, 0xa9], // é in UTF-8
          [0xef, 0xbf, 0xbd], // U+FFFD in UTF-8
          [0xfe, 0xff, 0xff],
          [0xff],
          [0xff, 0x00],
          [0xff, 0xff],
          [0xff, 0xff, 0xff],
        ].map((bytes) => Buffer.from(bytes));
        const shuffled = shuffle(ordered, seededRandom(7));
        await store.batch(shuffled.slice(0, 9).map((key) => put(key, key)));
        for (const key of shuffled.slice(9)) {
          await store.put(key, key);
        }
        const expected = ordered.map((key) => key.toString('hex'));
        assert.deepEqual(await keys(store), expected);
        assert.deepEqual(await keys(store, { reverse: true }), expected.toReversed());
        assert.deepEqual(await keys(store, { gte: b(0x01), lt: b(0x02) }), [
          '01',
          '0100',
          '010000',
          '01ff',
        ]);
        assert.deepEqual(await keys(store, { gte: b(0xff) }), ['ff', 'ff00', 'ffff', 'ffffff']);
        assert.deepEqual(await keys(store, { lt: b(0x00, 0x01) }), ['00', '0000']);
        assert.equal(hex(await store.get(b(0x80))), '80');
      }));

    test('values up to 1 MiB, through put, batch and range', () =>
      withStore(async (store) => {
        const rng = seededRandom(11);
        const big = randomBytes(rng, 1024 * 1024);
        const other = randomBytes(rng, 1024 * 1024 - 1);
        await store.put(b(1), big);
        await store.batch([put(b(2), other), put(b(3), b(3))]);
        assert.ok(big.equals((await store.get(b(1))) ?? b()));
        assert.ok(other.equals((await store.get(b(2))) ?? b()));
        const seen: Buffer[] = [];
        for await (const [, value] of store.range({ lt: b(3) })) {
          seen.push(Buffer.from(value));
        }
        assert.equal(seen.length, 2);
        assert.ok(big.equals(seen[0] ?? b()) && other.equals(seen[1] ?? b()));
      }));

    test('10,000 random keys (puts, batches, overwrites, deletes) match a sorted reference', () =>
      withStore(async (store) => {
        const rng = seededRandom(42);
        const reference = new Map<string, string>();
        const randomKey = (): Buffer => {
          // Short keys over a skewed alphabet, so that 0x00, 0xff and shared prefixes are common.
          const alphabet = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
          const length = 1 + Math.floor(rng() * 6);
          return Buffer.from(
            Array.from({ length }, () =>
              rng() < 0.5
                ? (alphabet[Math.floor(rng() * alphabet.length)] ?? 0)
                : Math.floor(rng() * 256),
            ),
          );
        };
        const operations: BatchOperation[] = [];
        while (reference.size < 10_000) {
          const key = randomKey();
          const value = randomBytes(rng, Math.floor(rng() * 40));
          reference.set(key.toString('hex'), value.toString('hex'));
          operations.push(put(key, value));
        }
        // Half in batches of 500, half one put at a time.
        const half = operations.length >>> 1;
        for (let i = 0; i < half; i += 500) {
          await store.batch(operations.slice(i, Math.min(i + 500, half)));
        }
        for (const op of operations.slice(half)) {
          if (op.type === 'put') {
            await store.put(op.key, op.value);
          }
        }
        // Delete 20 % and overwrite 10 % of the keys, again mixing batches and single calls.
        const changes: BatchOperation[] = [];
        for (const keyHex of reference.keys()) {
          const dice = rng();
          const key = Buffer.from(keyHex, 'hex');
          if (dice < 0.2) {
            changes.push({ type: 'delete', key });
          } else if (dice < 0.3) {
            changes.push(put(key, randomBytes(rng, 8)));
          }
        }
        for (const change of changes) {
          if (change.type === 'delete') {
            reference.delete(Buffer.from(change.key).toString('hex'));
          } else {
            reference.set(Buffer.from(change.key).toString('hex'), toHex(change.value));
          }
        }
        for (let i = 0; i < changes.length; i += 1_000) {
          const slice = changes.slice(i, i + 1_000);
          if ((i / 1_000) % 2 === 0) {
            await store.batch(slice);
          } else {
            for (const change of slice) {
              await (change.type === 'delete'
                ? store.delete(change.key)
                : store.put(change.key, change.value));
            }
          }
        }

        const sorted = [...reference.entries()]
          .map(([k, v]) => [Buffer.from(k, 'hex'), v] as const)
          .sort(([a], [z]) => Buffer.compare(a, z))
          .map(([k, v]) => [k.toString('hex'), v]);
        assert.deepEqual(await entries(store), sorted, 'the whole store, in order');
        assert.deepEqual(await entries(store, { reverse: true }), sorted.toReversed());

        for (let i = 0; i < 60; i++) {
          const [x, y] = [randomKey(), randomKey()].sort((p, q) => Buffer.compare(p, q));
          const bounds: RangeBounds = {
            ...(i % 4 === 1 ? {} : { gte: x ?? b() }),
            ...(i % 4 === 2 ? {} : { lt: y ?? b() }),
            reverse: i % 2 === 0,
            ...(i % 3 === 0 ? { limit: Math.floor(rng() * 50) } : {}),
          };
          const inRange = sorted.filter(([k]) => {
            const key = Buffer.from(k ?? '', 'hex');
            return (
              (bounds.gte === undefined || Buffer.compare(key, bounds.gte) >= 0) &&
              (bounds.lt === undefined || Buffer.compare(key, bounds.lt) < 0)
            );
          });
          const ordered = bounds.reverse === true ? inRange.toReversed() : inRange;
          const expected = ordered.slice(0, bounds.limit ?? ordered.length);
          assert.deepEqual(await entries(store, bounds), expected, `range #${i}`);
        }

        for (const [k, v] of sorted.slice(0, 2_000)) {
          assert.equal(hex(await store.get(Buffer.from(k ?? '', 'hex'))), v);
        }
        for (const op of changes.filter((change) => change.type === 'delete').slice(0, 500)) {
          assert.equal(await store.get(op.key), undefined);
        }
      }));

    test('a range scan survives writes between its steps: no key repeats, none is skipped', () =>
      withStore(async (store) => {
        const all = Array.from({ length: 3_000 }, (_, i) => be16(i * 2));
        for (let i = 0; i < all.length; i += 1_000) {
          await store.batch(all.slice(i, i + 1_000).map((key) => put(key, key)));
        }
        for (const reverse of [false, true]) {
          const seen: string[] = [];
          let step = 0;
          for await (const [key] of store.range({ reverse })) {
            seen.push(toHex(key));
            step++;
            // Insert odd keys and delete/re-put keys behind the cursor while scanning.
            await store.put(be16((step * 38 + 1) % 6_000), b(1));
            await store.delete(be16((step * 14 + 1) % 6_000));
            if (step % 100 === 0) {
              await store.batch([{ type: 'delete', key }, put(key, key)]);
            }
          }
          const evenSeen = seen.filter((k) => Number.parseInt(k, 16) % 2 === 0);
          const expected = all.map((key) => key.toString('hex'));
          assert.deepEqual(evenSeen, reverse ? expected.toReversed() : expected);
          const sorted = [...seen].sort();
          assert.deepEqual(reverse ? sorted.toReversed() : sorted, seen, 'in order');
          assert.equal(new Set(seen).size, seen.length, 'no key twice');
          // Undo the odd keys for the second pass.
          const odd: BatchOperation[] = [];
          for await (const [key] of store.range()) {
            if (key.length === 2 && (key[1] ?? 0) % 2 === 1) {
              odd.push({ type: 'delete', key: Buffer.from(key) });
            }
          }
          await store.batch(odd);
        }
      }));

    test('leaving a range scan early releases it', () =>
      withStore(async (store) => {
        await store.batch([1, 2, 3].map((k) => put(b(k), b(k))));
        for (let i = 0; i < 20; i++) {
          for await (const [key] of store.range()) {
            assert.equal(hex(key), '01');
            break;
          }
        }
        await store.put(b(4), b(4));
        assert.equal((await keys(store)).length, 4);
      }));

    test('every operation rejects after close()', skip('useAfterClose'), async () => {
      const store = await open();
      await store.put(b(1), b(1));
      await store.close();
      await assert.rejects(store.get(b(1)));
      await assert.rejects(store.put(b(1), b(1)));
      await assert.rejects(store.delete(b(1)));
      await assert.rejects(store.batch([put(b(1), b(1))]));
      await assert.rejects(async () => {
        for await (const entry of store.range()) {
          assert.fail(`read ${String(entry)} from a closed store`);
        }
      });
    });
  });
}

function b(...bytes: number[]): Buffer {
  return Buffer.from(bytes);
}

function be16(n: number): Buffer {
  const key = Buffer.alloc(2);
  key.writeUInt16BE(n);
  return key;
}

function put(key: Uint8Array, value: Uint8Array): BatchOperation {
  return { type: 'put', key, value };
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : toHex(bytes);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

async function entries(store: BytesKeyValueStore, bounds?: RangeBounds): Promise<string[][]> {
  const seen: string[][] = [];
  for await (const [key, value] of store.range(bounds)) {
    seen.push([hex(key) ?? '', hex(value) ?? '']);
  }
  return seen;
}

async function keys(store: BytesKeyValueStore, bounds?: RangeBounds): Promise<string[]> {
  return (await entries(store, bounds)).map(([key]) => key ?? '');
}

function randomBytes(rng: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    bytes[i] = Math.floor(rng() * 256);
  }
  return bytes;
}

function shuffle<TItem>(items: readonly TItem[], rng: () => number): TItem[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = result[i];
    const z = result[j];
    if (a !== undefined && z !== undefined) {
      result[i] = z;
      result[j] = a;
    }
  }
  return result;
}
