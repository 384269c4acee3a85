import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyBrokerFault, faultSchedule } from './brokerFaults.js';

const base = { seed: 1, minOutageMs: 5_000, maxOutageMs: 15_000 };

test('without broker faults the schedule is the job kills alone', () => {
  assert.deepEqual(
    faultSchedule({ ...base, kills: 3, brokerKills: 0, brokerPauses: 0 }),
    Array.from({ length: 3 }, () => ({ kind: 'job-kill' })),
  );
});

test('broker faults are mixed in, seeded, with outages in range', () => {
  const options = { ...base, kills: 5, brokerKills: 2, brokerPauses: 1 };
  const schedule = faultSchedule(options);
  assert.deepEqual(schedule, faultSchedule(options), 'the same seed, the same schedule');
  assert.notDeepEqual(schedule, faultSchedule({ ...options, seed: 2 }));
  const kinds = schedule.map((fault) => fault.kind);
  assert.equal(kinds.filter((kind) => kind === 'job-kill').length, 5);
  assert.equal(kinds.filter((kind) => kind === 'broker-kill').length, 2);
  assert.equal(kinds.filter((kind) => kind === 'broker-pause').length, 1);
  for (const fault of schedule) {
    if (fault.kind !== 'job-kill') {
      assert.ok(fault.outageMs >= 5_000 && fault.outageMs <= 15_000, String(fault.outageMs));
    }
  }
});

test('a broker fault: kill, wait, restart; pause, wait, resume (resumed even if the wait fails)', async () => {
  const calls: string[] = [];
  const broker = {
    killBroker: () => Promise.resolve(void calls.push('kill')),
    startBroker: () => Promise.resolve(void calls.push('start')),
    pauseBroker: () => Promise.resolve(void calls.push('pause')),
    resumeBroker: () => Promise.resolve(void calls.push('resume')),
  };
  const sleep = (ms: number): Promise<void> => Promise.resolve(void calls.push(`sleep ${ms}`));
  await applyBrokerFault(broker, { kind: 'broker-kill', outageMs: 7 }, sleep);
  await applyBrokerFault(broker, { kind: 'broker-pause', outageMs: 9 }, sleep);
  assert.deepEqual(calls, ['kill', 'sleep 7', 'start', 'pause', 'sleep 9', 'resume']);
  calls.length = 0;
  await assert.rejects(
    applyBrokerFault(broker, { kind: 'broker-pause', outageMs: 1 }, () =>
      Promise.reject(new Error('interrupted')),
    ),
  );
  assert.deepEqual(calls, ['pause', 'resume']);
});
