import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { partitionForKey } from './partitioner.js';

// kafkajs's murmur2 is the same as the Java client's; ours must agree with it key for key.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer,
) => number;

test('partitionForKey puts keys where Kafka clients do', () => {
  for (let i = 0; i < 2_000; i++) {
    const key = Buffer.from(`user-${i}-${'x'.repeat(i % 7)}`);
    for (const partitions of [1, 3, 6, 12]) {
      assert.equal(
        partitionForKey(key, partitions),
        (kafkajsMurmur2(key) & 0x7fffffff) % partitions,
        `key ${key.toString()} over ${partitions}`,
      );
    }
  }
});
