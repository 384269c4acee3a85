import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const cli = join(import.meta.dirname, '..', 'dist', 'jobs', 'cli', 'main.js');

function reelstream(...args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout };
}

// The test command starts the stack before the tests run, so here it is already up — unless the
// suite runs against another cluster, where the local stack is not involved.
const external = process.env['REELSTREAM_BROKERS'] !== undefined;

test(
  'stack up on a running stack is a no-op, and status says what runs where',
  {
    skip: external ? 'REELSTREAM_BROKERS points at another cluster' : false,
  },
  () => {
    const up = reelstream('stack', 'up');
    assert.equal(up.status, 0);
    assert.match(up.stdout, /^kafka: already-running$/m);
    assert.match(up.stdout, /^schema-registry: already-running$/m);

    const status = reelstream('stack', 'status', '--json');
    assert.equal(status.status, 0);
    const services = JSON.parse(status.stdout) as {
      name: string;
      state: string;
      endpoint: string;
      pid?: number;
    }[];
    assert.deepEqual(
      services.map((s) => [s.name, s.state]),
      [
        ['kafka', 'running'],
        ['schema-registry', 'running'],
      ],
    );
    assert.ok(services.every((s) => typeof s.pid === 'number'));
  },
);
