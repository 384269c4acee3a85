import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { ManagedProcess } from './managedProcess.js';

/** Waits until the process has written `marker`, i.e. it has really started (and set its traps). */
async function waitForLog(managed: ManagedProcess, marker: string): Promise<void> {
  for (let i = 0; i < 100 && !managed.logTail().includes(marker); i++) {
    await sleep(50);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'reelstream-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a started process is found by its pid file, and stop leaves nothing of its group', async () => {
  const managed = new ManagedProcess({
    name: 'sleeper',
    pidFile: join(dir, 'sleeper.pid'),
    logFile: join(dir, 'sleeper.log'),
  });
  // A shell with a child: stopping must take the whole process group.
  const pid = managed.start('bash', ['-c', 'echo started; sleep 60 & wait']);
  assert.equal(managed.runningPid(), pid);
  await waitForLog(managed, 'started');
  assert.equal(await managed.stop(5_000), 'stopped');
  assert.equal(managed.runningPid(), undefined);
  const groupMembers = spawnSync('pgrep', ['-g', String(pid)], { encoding: 'utf8' }).stdout.trim();
  const isLive = (member: string): boolean => {
    try {
      return !readFileSync(`/proc/${member}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false; // exited meanwhile
    }
  };
  const live = groupMembers.split('\n').filter((member) => member !== '' && isLive(member));
  assert.deepEqual(live, [], 'no process of the group is left');
  assert.match(managed.logTail(), /started/);
  assert.equal(await managed.stop(1_000), 'not-running');
});

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const managed = new ManagedProcess({
    name: 'stubborn',
    pidFile: join(dir, 'stubborn.pid'),
    logFile: join(dir, 'stubborn.log'),
  });
  managed.start('bash', ['-c', "trap '' TERM; echo trapped; sleep 60"]);
  await waitForLog(managed, 'trapped');
  assert.equal(await managed.stop(500), 'killed');
  assert.equal(managed.runningPid(), undefined);
});

test('a stale pid file does not count as a running process', () => {
  const pidFile = join(dir, 'stale.pid');
  writeFileSync(pidFile, '999999999\n');
  const managed = new ManagedProcess({ name: 'stale', pidFile, logFile: join(dir, 'stale.log') });
  assert.equal(managed.runningPid(), undefined);
});
