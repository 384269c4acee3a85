import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import { atNice } from './cliInvocation.js';

const printPriorities = {
  command: process.execPath,
  // The main thread's nice value, and a worker thread's (Linux keeps one per thread).
  args: [
    '-e',
    `const { getPriority } = require('node:os');
     const { Worker } = require('node:worker_threads');
     const worker = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:os').getPriority(0))", { eval: true });
     worker.once('message', (inWorker) => { console.log(getPriority() + ' ' + inWorker); worker.terminate(); });`,
  ],
};

test('atNice 0 runs the command as it is', () => {
  assert.deepEqual(atNice(printPriorities, 0), printPriorities);
});

test('atNice runs the process, every thread of it, at the nice value given', () => {
  const base = Number(execFileSync(process.execPath, ['-p', "require('node:os').getPriority()"]));
  const niced = atNice(printPriorities, 7);
  const [main, worker] = execFileSync(niced.command, niced.args, { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number);
  assert.equal(main, Math.min(19, base + 7));
  assert.equal(worker, Math.min(19, base + 7));
});
