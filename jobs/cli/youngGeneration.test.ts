import assert from 'node:assert/strict';
import { test } from 'node:test';

import { youngGenerationNote } from './youngGeneration.js';

test('no note when node was started with a young generation of its own', () => {
  assert.equal(youngGenerationNote(['--max-semi-space-size=64'], undefined), undefined);
  assert.equal(youngGenerationNote([], '--enable-source-maps --max_semi_space_size=32'), undefined);
  assert.equal(
    youngGenerationNote(['--import', 'tsx', '--max-semi-space-size', '64'], ''),
    undefined,
  );
});

test('a note naming the flag when node runs with the default', () => {
  const note = youngGenerationNote(['--import', 'tsx'], '--max-old-space-size=512');
  assert.match(note ?? '', /--max-semi-space-size=64/);
});
