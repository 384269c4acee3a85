import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { kraftClusterId } from './kafkaService.js';

test('a KRaft cluster id never begins with "-" (kafka-storage would read it as an option)', () => {
  // 0xf8 puts 62 in the first six bits: '-' in base64url.
  const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xf8), randomBytes(16)];
  const id = kraftClusterId(() => draws.shift() ?? randomBytes(16));
  assert.equal(draws.length, 0, 'the two ids beginning with "-" were drawn again');
  assert.ok(!id.startsWith('-'));
  assert.equal(id.length, 22);
  assert.match(id, /^[A-Za-z0-9_-]{22}$/);
});
