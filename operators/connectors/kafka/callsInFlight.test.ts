import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CallsInFlight } from './callsInFlight.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve: () => void = () => undefined;
  let reject: (e: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('with nothing under way, closing disconnects once', async () => {
  const calls = new CallsInFlight();
  await calls.track(() => Promise.resolve());
  let disconnects = 0;
  await calls.closeWith(() => Promise.resolve(void (disconnects += 1)));
  assert.equal(disconnects, 1);
});

test('closing waits for the calls under way, then disconnects again', async () => {
  const calls = new CallsInFlight();
  const first = deferred();
  const second = deferred();
  const firstCall = calls.track(() => first.promise);
  const secondCall = assert.rejects(
    calls.track(() => second.promise),
    /connection closed/,
  );
  let disconnects = 0;
  let closed = false;
  const closing = calls
    .closeWith(() => Promise.resolve(void (disconnects += 1)))
    .then(() => (closed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(disconnects, 1, 'disconnected at once');
  first.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, false, 'still a call under way');
  second.reject(new Error('connection closed'));
  await closing;
  assert.equal(disconnects, 2);
  await firstCall;
  await secondCall;
});

test('a failed first disconnect still waits and disconnects again, then says it failed', async () => {
  const calls = new CallsInFlight();
  const call = deferred();
  void calls.track(() => call.promise).catch(() => undefined);
  let disconnects = 0;
  const closing = calls.closeWith(() => {
    disconnects += 1;
    return disconnects === 1 ? Promise.reject(new Error('broker gone')) : Promise.resolve();
  });
  call.resolve();
  await assert.rejects(closing, /broker gone/);
  assert.equal(disconnects, 2);
});
