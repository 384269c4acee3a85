import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A long-running service started in the background, tracked by a pid file so that a later CLI
 * invocation can find it, ask whether it is alive and stop it.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pidFile: string;
  readonly logFile: string;

  constructor(options: { name: string; pidFile: string; logFile: string }) {
    this.name = options.name;
    this.pidFile = options.pidFile;
    this.logFile = options.logFile;
  }

  /** The pid of the running process, or undefined when none runs (a stale pid file is removed). */
  runningPid(): number | undefined {
    if (!existsSync(this.pidFile)) {
      return undefined;
    }
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      return pid;
    }
    rmSync(this.pidFile, { force: true });
    return undefined;
  }

  /**
   * Starts `command` detached in its own process group, stdout and stderr appended to the log
   * file, and records its pid. The CLI that starts it may exit; the service keeps running.
   */
  start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env });
      if (child.pid === undefined) {
        throw new Error(`${this.name}: could not start ${command}`);
      }
      child.unref();
      writeFileSync(this.pidFile, `${child.pid}\n`);
      return child.pid;
    } finally {
      closeSync(log);
    }
  }

  /**
   * Stops the process group: SIGTERM for a clean shutdown, SIGKILL after `graceMs`. Resolves
   * once nothing of it is left.
   */
  async stop(graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
    const pid = this.runningPid();
    if (pid === undefined) {
      return 'not-running';
    }
    // The service runs in its own process group (the pid is the group id): stopping means every
    // process of the group is gone, not only the one we started.
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!groupAlive(pid)) {
        rmSync(this.pidFile, { force: true });
        return 'stopped';
      }
      await sleep(200);
    }
    signalGroup(pid, 'SIGKILL');
    while (groupAlive(pid)) {
      await sleep(100);
    }
    rmSync(this.pidFile, { force: true });
    return 'killed';
  }

  /** The last `lines` lines of the service's log, for error messages. */
  logTail(lines = 40): string {
    if (!existsSync(this.logFile)) {
      return '(no log written)';
    }
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0; treat it as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

/** Whether any live (non-zombie) process is left in process group `pgid` (Linux /proc). */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name: state, ppid, pgrp, ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (pgrp === String(pgid) && state !== 'Z') {
      return true;
    }
  }
  return false;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
