import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/**
 * The `no-restricted-imports` messages eslint reports for `code` in a file of `folder`. The lint
 * is type-aware, so the probe must exist on disk for the TypeScript project service to see it;
 * it lives only for the duration of the call.
 */
async function boundaryErrors(folder: string, code: string): Promise<string[]> {
  const file = join(root, folder, `boundaryProbe${randomBytes(4).toString('hex')}.ts`);
  writeFileSync(file, code);
  try {
    const [result] = await eslint.lintFiles([file]);
    const fatal = result?.messages.find((m) => m.fatal === true);
    assert.equal(fatal, undefined, fatal?.message);
    return (result?.messages ?? [])
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => m.message);
  } finally {
    rmSync(file, { force: true });
  }
}

test('pipelines/ may import the public operator API and schemas', async () => {
  const code =
    "import { connectionConfigFromEnv } from '../operators/index.js';\nexport const c = connectionConfigFromEnv;\n";
  assert.deepEqual(await boundaryErrors('pipelines', code), []);
});

test('pipelines/ may not import runtime, state or connector internals', async () => {
  const code =
    "import { RocksDbStore } from '../operators/state/rocksdb/rocksDbStore.js';\nexport const s = RocksDbStore;\n";
  const errors = await boundaryErrors('pipelines', code);
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? '', /pipelines\/ may import only operators\/index\.js and schemas\//);
});

test('nothing outside jobs/ may import from jobs/', async () => {
  const code =
    "import { demoCommand } from '../jobs/cli/demoCommand.js';\nexport const d = demoCommand;\n";
  const errors = await boundaryErrors('operators', code);
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? '', /nothing may import from it/);
});
