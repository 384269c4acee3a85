import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRestore } from './jobProcess.js';

test('CHAOS_RESTORE lines: the documented JSON is parsed, anything else is left alone', () => {
  assert.deepEqual(
    parseRestore('{"task":"1_3","store":"video-views","records":123,"bytes":4567,"ms":89}'),
    { task: '1_3', store: 'video-views', records: 123, bytes: 4567, ms: 89 },
  );
  assert.equal(parseRestore('{"task":"1_3","records":"123"}'), undefined);
  assert.equal(parseRestore('not json'), undefined);
  assert.equal(parseRestore('null'), undefined);
});
