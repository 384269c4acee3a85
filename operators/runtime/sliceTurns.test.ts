import assert from 'node:assert/strict';
import { test } from 'node:test';

import { takeSliceTurn } from './sliceTurns.js';

test('one slice a turn: the tasks take turns in order, and the loop runs between their slices', async () => {
  const order: string[] = [];
  const task = async (name: string): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await takeSliceTurn();
      order.push(name);
    }
  };
  // Stands for the loop's other work (a socket read, a timer): one callback a turn.
  const other = async (): Promise<void> => {
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      order.push('-');
    }
  };
  await Promise.all([task('a'), task('b'), task('c'), other()]);
  const slices = order.filter((step) => step !== '-');
  assert.deepEqual(
    slices,
    ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'],
    'in the order they asked',
  );
  // With a setImmediate per slice instead, every task's slice ran in one turn: a b c - a b c -
  assert.equal(order.join(' '), 'a - b - c - a - b - c - a - b - c');
});
