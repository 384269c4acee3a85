import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseCsvLine } from './csvTable.js';

test('splits CSV lines with quoted fields', () => {
  assert.deepEqual(parseCsvLine('0,full_active,"[100,1k)",,1.0'), [
    '0',
    'full_active',
    '[100,1k)',
    '',
    '1.0',
  ]);
  assert.deepEqual(parseCsvLine('a,"say ""hi""",c'), ['a', 'say "hi"', 'c']);
  assert.deepEqual(parseCsvLine(''), ['']);
});
