import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Consumer, Producer } from 'kafkajs';

import {
  connection,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '../support/integration.js';
import { prefixPattern, reelstreamLag, type LagJson } from './lagCli.js';

/**
 * Live Burrow status: five groups behave as healthy, slow, stopped, stalled and rewound
 * consumers while `reelstream lag --alert` samples each of them (window shortened to 4 s),
 * concurrently; each must report the expected status, reason and exit code.
 */
const prefix = uniqueName('lagstatus');
const kafka = testKafka('lag-status');
const admin = kafka.admin();
const consumers: Consumer[] = [];
const producers: Producer[] = [];
const gates: (() => void)[] = [];
let producing = true;

after(async () => {
  producing = false;
  gates.forEach((open) => open());
  await sleep(500);
  await Promise.allSettled([...consumers, ...producers].map((c) => c.disconnect()));
  await admin.disconnect();
});

const cli = join(import.meta.dirname, '..', '..', 'dist', 'jobs', 'cli', 'main.js');

/** `reelstream lag --alert --json` sampling one group: 6 samples 1 s apart, a 4 s window by default. */
function alert(
  group: string,
  options: { stateFile?: string; windowSeconds?: number } = {},
): Promise<{ status: number | null; report: LagJson; stderr: string }> {
  const state =
    options.stateFile === undefined ? ['--no-state'] : ['--state-file', options.stateFile];
  const args = ['lag', '--alert', '--json', ...state, '--group', prefixPattern(group)];
  args.push('--samples', '6', '--interval', '1', '--min-samples', '3');
  args.push('--window', String(options.windowSeconds ?? 4));
  args.push('--allowed-lag', '50');
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, REELSTREAM_BROKERS: connection.brokers.join(',') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (status) => {
      const report = (stdout === '' ? { status: '?', groups: [] } : JSON.parse(stdout)) as LagJson;
      resolve({ status, report, stderr });
    }),
  );
}

async function producer(): Promise<Producer> {
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  producers.push(p);
  await p.connect();
  return p;
}

/** Sends `perSecond` records a second until the test ends. */
async function produceSteadily(topic: string, perSecond: number): Promise<void> {
  const p = await producer();
  while (producing) {
    await p.send({ topic, messages: [{ value: String(Date.now()) }] }).catch(() => undefined);
    await sleep(1000 / perSecond);
  }
}

async function backlog(topic: string, n: number): Promise<number> {
  const p = await producer();
  await p.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `b${i}` })) });
  return Date.now();
}

async function consumer(
  group: string,
  topic: string,
  onMessage: () => Promise<void>,
): Promise<Consumer> {
  const c = kafka.consumer({ groupId: group, sessionTimeout: 30_000 });
  consumers.push(c);
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  // Commit every 200 ms, not once per (possibly huge) batch, so a slow consumer's offsets move.
  await c.run({ autoCommitInterval: 200, eachMessage: onMessage });
  return c;
}

test(
  'live groups get the expected Burrow status and --alert exit code',
  { timeout: 90_000 },
  async () => {
    await admin.connect();
    const topic = (s: string): string => `${prefix}.${s}`;
    await createTopics(['healthy', 'slow', 'stopped', 'stalled', 'rewound'].map(topic));

    // healthy: 20/s produced, consumed as fast as it comes.
    void produceSteadily(topic('healthy'), 20);
    await consumer(topic('healthy'), topic('healthy'), () => Promise.resolve());

    // slow: a backlog, then 30/s produced and 10/s consumed: offsets advance, lag only grows.
    await backlog(topic('slow'), 100);
    void produceSteadily(topic('slow'), 30);
    await consumer(topic('slow'), topic('slow'), () => sleep(100));

    // stopped: consumed 20, then gone; 100 more arrive.
    await backlog(topic('stopped'), 20);
    let consumed = 0;
    const quitter = await consumer(topic('stopped'), topic('stopped'), () => {
      consumed++;
      return Promise.resolve();
    });
    await waitFor(() => consumed === 20, 'the stopped consumer to read its 20');
    await sleep(500);
    await quitter.disconnect();
    const firstUnconsumedAt = await backlog(topic('stopped'), 100);

    // stalled: alive (a member owns the partition) but stuck on its 10th record, ~95 behind.
    // The first nine take 60 ms each, so some offset has been committed when it gets stuck.
    await backlog(topic('stalled'), 100);
    let seen = 0;
    await consumer(topic('stalled'), topic('stalled'), async () => {
      if (++seen === 10) {
        await new Promise<void>((open) => gates.push(open));
      }
      await sleep(60);
    });
    await waitFor(() => seen >= 10, 'the stalled consumer to get stuck');

    // rewound: an idle group at 140 of 200; reset to 0 while it is being sampled.
    await backlog(topic('rewound'), 200);
    const rewound = { groupId: topic('rewound'), topic: topic('rewound') };
    await admin.setOffsets({ ...rewound, partitions: [{ partition: 0, offset: '140' }] });

    await sleep(1_000);
    const stateDir = mkdtempSync(join(tmpdir(), 'lag-status-'));
    const rewoundState = join(stateDir, 'samples.json');
    const runs = ['healthy', 'slow', 'stopped', 'stalled'].map((s) => alert(topic(s)));
    // The rewind must stay inside the window, so this one is watched over 10 s.
    runs.push(alert(topic('rewound'), { stateFile: rewoundState, windowSeconds: 10 }));
    // Rewind once the monitor has seen the group at 140 (its sample file says so).
    await waitFor(() => sampleCount(rewoundState) >= 1, 'a sample of the rewound group');
    await admin.setOffsets({ ...rewound, partitions: [{ partition: 0, offset: '0' }] });
    const results = await Promise.all(runs);

    const summary = results.map((r) => {
      const g = r.report.groups[0];
      return [g?.group.slice(prefix.length + 1), r.status, g?.status, g?.reason];
    });
    assert.deepEqual(summary, [
      ['healthy', 0, 'OK', 'CAUGHT_UP'],
      ['slow', 1, 'WARN', 'SLOW'],
      ['stopped', 2, 'ERR', 'STOP'],
      ['stalled', 2, 'ERR', 'STALL'],
      ['rewound', 2, 'ERR', 'REWIND'],
    ]);

    // Time lag of the stopped group: the age of its first unconsumed record, read at its offset.
    // Its true age at the moment the report's snapshot was taken (the time lag's "now"), not at
    // the end of every run: the rewound group is watched 10 s longer.
    const stoppedReport = results[2]?.report;
    const stopped = stoppedReport?.groups[0]?.partitions[0];
    const reportedAt = Date.parse(stoppedReport?.generatedAt ?? '');
    assert.ok(Number.isFinite(reportedAt), 'the report says when its snapshot was taken');
    const trueAge = (reportedAt - firstUnconsumedAt) / 1000;
    assert.equal(stopped?.timeLagSource, 'record');
    assert.ok(
      Math.abs((stopped?.timeLagSeconds ?? 0) - trueAge) <= 1.5,
      `time lag ${stopped?.timeLagSeconds} s, true age ${trueAge} s`,
    );
  },
);

/** Samples in a `--state-file`, 0 while it does not exist yet. */
function sampleCount(file: string): number {
  try {
    const content = JSON.parse(readFileSync(file, 'utf8')) as {
      partitions: Record<string, unknown[]>;
    };
    return Math.max(0, ...Object.values(content.partitions).map((s) => s.length));
  } catch {
    return 0;
  }
}

test('exit 3 for an unknown group, 4 for a broker that does not answer', () => {
  const unknown = reelstreamLag(['--alert', '--no-state', '--group', `${prefix}.no-such-group`]);
  assert.equal(unknown.status, 3);
  assert.match(unknown.stderr, /no consumer group matches/);

  const started = Date.now();
  const unreachable = reelstreamLag([
    '--alert',
    '--no-state',
    '--brokers',
    '127.0.0.1:1',
    '--timeout',
    '3',
  ]);
  assert.equal(unreachable.status, 4);
  assert.match(unreachable.stderr, /127\.0\.0\.1:1/);
  assert.ok(Date.now() - started < 8_000, 'an unreachable cluster must fail fast');
});
