import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateAvroTypeScript } from './avroTypeScript.js';

const schema = {
  type: 'record',
  name: 'PageView',
  namespace: 'demo',
  fields: [{ name: 'page', type: 'string' }],
} as const;

test('the schema JSON is one line for a formatter, indented when written as generated', () => {
  const options = { schema, file: 'schemas/pageView.avsc', importFrom: 'reelstream' };
  const compact = generateAvroTypeScript(options);
  assert.ok(compact.includes(`  definition: ${JSON.stringify(schema)},`));
  const indented = generateAvroTypeScript({ ...options, indentDefinition: true });
  const start = indented.indexOf('  definition: ') + '  definition: '.length;
  const end = indented.indexOf('\n  },', start) + '\n  }'.length;
  assert.deepEqual(JSON.parse(indented.slice(start, end)), schema);
  assert.match(indented, /^ {4}"fields": \[$/m);
  assert.match(indented, /import type \{ AvroSchema \} from 'reelstream';/);
});
