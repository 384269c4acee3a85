import assert from 'node:assert/strict';
import { test } from 'node:test';

import { renderTemplate } from './service.js';

test('renderTemplate fills every placeholder', () => {
  assert.equal(
    renderTemplate('listeners=@HOST@:@PORT@', { HOST: '127.0.0.1', PORT: '9092' }),
    'listeners=127.0.0.1:9092',
  );
});

test('renderTemplate refuses a placeholder without a value', () => {
  assert.throws(() => renderTemplate('log.dirs=@DATA_DIR@', {}), /@DATA_DIR@ has no value/);
});
