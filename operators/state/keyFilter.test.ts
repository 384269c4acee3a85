import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KeyFilter } from './keyFilter.js';

test('KeyFilter: every key added may be contained; about 1% of keys never added are', () => {
  const filter = new KeyFilter(100_000);
  for (let i = 0; i < 100_000; i++) {
    filter.add(Buffer.from(`window-${i}`));
  }
  assert.equal(filter.size, 100_000);
  for (let i = 0; i < 100_000; i++) {
    assert.ok(filter.mayContain(Buffer.from(`window-${i}`)), `window-${i} added`);
  }
  let falsePositives = 0;
  for (let i = 0; i < 100_000; i++) {
    if (filter.mayContain(Buffer.from(`other-${i}`))) {
      falsePositives += 1;
    }
  }
  assert.ok(falsePositives < 3_000, `${falsePositives} false positives in 100,000`);
  assert.ok(!new KeyFilter(10).mayContain(Buffer.from([0])), 'an empty filter contains nothing');
});
