import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import pino from 'pino';

import { applyHeapGrowth, validateHeapGrowingPercent } from './heapGrowth.js';

const moduleUrl = new URL('./heapGrowth.ts', import.meta.url).href;

/**
 * In a child process: applies the setting as a job does, then keeps a live set of ~400,000
 * small objects while replacing them (a store's cache under updates), and prints the largest
 * heap V8 held and the warnings logged.
 */
function peakHeapHeld(percent: number | undefined, nodeFlags: string[] = []): number {
  const script = `
    import { applyHeapGrowth } from ${JSON.stringify(moduleUrl)};
    import pino from 'pino';
    applyHeapGrowth(${percent === undefined ? 'undefined' : String(percent)}, pino({ level: 'silent' }), {});
    const live = new Map();
    let peak = 0;
    for (let i = 0; i < 4e6; i++) {
      live.set(i % 400000, { bytes: new Uint8Array(48), i, id: 'k' + i });
      if (i % 50000 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
    }
    console.log(peak);
  `;
  const out = execFileSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8' },
  );
  return Number(out.trim());
}

test('a job holds a smaller heap for the same live set than V8 left to itself', () => {
  const own = peakHeapHeld(0);
  const bounded = peakHeapHeld(100);
  // V8 alone grows the heap up to 4× what a full collection kept; at 100 about 2×.
  assert.ok(
    bounded < own * 0.8,
    `peak heap held: ${(bounded / 1e6).toFixed(0)} MB at 100% against ${(own / 1e6).toFixed(0)} MB left to V8`,
  );
});

test("Node's own --heap-growing-percent wins over the job's", () => {
  const own = peakHeapHeld(100, ['--heap-growing-percent=0']);
  const bounded = peakHeapHeld(100);
  assert.ok(
    bounded < own * 0.8,
    `peak heap held: ${(bounded / 1e6).toFixed(0)} MB set by the job against ${(own / 1e6).toFixed(0)} MB with Node's flag`,
  );
});

test('a heap growing percent outside 0–1000 or not an integer is refused, saying so', () => {
  for (const bad of [-1, 1001, 12.5, Number.NaN]) {
    assert.throws(() => validateHeapGrowingPercent(bad), /integer from 0 .* to 1000/);
  }
  validateHeapGrowingPercent(0);
  validateHeapGrowingPercent(100);
  const logger = pino({ level: 'silent' });
  assert.throws(
    () => applyHeapGrowth(undefined, logger, { REELSTREAM_HEAP_GROWING_PERCENT: 'lots' }),
    /REELSTREAM_HEAP_GROWING_PERCENT must be an integer, not "lots"/,
  );
  assert.throws(() => applyHeapGrowth(5000, logger, {}), /not 5000/);
});
