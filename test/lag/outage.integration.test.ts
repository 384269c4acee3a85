import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { freePort, PrivateBroker } from './privateBroker.js';

/**
 * The exporter and --watch ride through a broker outage: started before a broker of the test's
 * own is up, then while both run it is paused (SIGSTOP), and later killed (kill -9) and restarted. Each must keep running, log
 * one line per interval while the broker cannot be read, export no lag series then (only
 * `reelstream_lag_up 0`), and resume by itself when the broker answers again.
 */
const cli = join(import.meta.dirname, '..', '..', 'dist', 'jobs', 'cli', 'main.js');
let broker: PrivateBroker | undefined;
const children: ChildProcess[] = [];

after(async () => {
  children.forEach((c) => c.kill('SIGKILL'));
  await broker?.stop();
});

interface Running {
  readonly child: ChildProcess;
  readonly out: { stdout: string; stderr: string };
}

function lag(args: readonly string[], brokers: string): Running {
  const child = spawn(process.execPath, [cli, 'lag', ...args], {
    env: { ...process.env, REELSTREAM_BROKERS: brokers },
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return { child, out };
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
  return response === undefined ? '' : response.text();
}

/** Polls the exporter until `condition` holds on a scrape; returns that scrape. */
async function scrapeUntil(
  port: number,
  what: string,
  condition: (text: string) => boolean,
): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await scrape(port);
    if (condition(text)) {
      return text;
    }
    assert.ok(Date.now() < deadline, `no ${what} within 60 s; last scrape:\n${text}`);
    await sleep(250);
  }
}

const up = (text: string): boolean => /^reelstream_lag_up\{[^}]*\} 1$/m.test(text);
const down = (text: string): boolean => /^reelstream_lag_up\{[^}]*\} 0$/m.test(text);
const lagSeries = (text: string): string[] =>
  text.split('\n').filter((l) => /^kafka_(consumergroup|partition)_/.test(l));

test(
  'the exporter and --watch ride through a paused and a killed broker, and resume by themselves',
  { timeout: 300_000 },
  async () => {
    broker = await PrivateBroker.create();
    const { address } = broker;
    // 0. Started while the broker is not there yet: both wait for it.
    const port = await freePort();
    const common = ['--no-state', '--interval', '1', '--timeout', '2'];
    const exporter = lag(
      ['--prometheus', String(port), '--cluster-name', 'private', ...common],
      address,
    );
    const watch = lag(['--watch', ...common], address);
    const before = await scrapeUntil(port, 'up 0 before the broker starts', down);
    assert.deepEqual(lagSeries(before), []);
    await broker.start();

    // A group 3 records behind on the private broker, so there are lag series to watch.
    const kafka = createKafkaJs({ ...connectionConfigFromEnv({}), brokers: [address] }, {});
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'outage', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'outage',
      messages: [1, 2, 3, 4, 5].map((i) => ({ value: `${i}` })),
    });
    await producer.disconnect();
    await admin.setOffsets({
      groupId: 'outage-group',
      topic: 'outage',
      partitions: [{ partition: 0, offset: '2' }],
    });
    await admin.disconnect();

    const healthy = await scrapeUntil(port, 'the first successful look', up);
    assert.match(
      healthy,
      /^kafka_consumergroup_group_lag\{cluster_name="private",group="outage-group",topic="outage",partition="0",[^}]*\} 3$/m,
    );
    lintWithPromtool(healthy);

    // 1. Paused: the look times out, the series go, up says 0, a line per interval.
    broker.pause();
    const paused = await scrapeUntil(port, 'up 0 while paused', down);
    assert.deepEqual(lagSeries(paused), [], 'stale series while the broker is paused');
    lintWithPromtool(paused);
    await sleep(3_000);
    broker.resume();
    await scrapeUntil(port, 'recovery after the pause', (t) => up(t) && lagSeries(t).length > 0);

    // 2. Killed, down for a while, restarted.
    broker.kill();
    const killed = await scrapeUntil(port, 'up 0 after kill -9', down);
    assert.deepEqual(lagSeries(killed), [], 'stale series while the broker is dead');
    await sleep(3_000);
    await broker.start();
    const back = await scrapeUntil(
      port,
      'recovery after the restart',
      (t) => up(t) && lagSeries(t).length > 0,
    );
    assert.match(back, /kafka_consumergroup_group_lag\{[^}]*group="outage-group"[^}]*\} 3$/m);

    // Both still run; the exporter said when the cluster was unreachable, one line per failed
    // look, and when it answered again.
    await sleep(2_000); // one more watch frame after the recovery
    assert.equal(exporter.child.exitCode, null, exporter.out.stderr);
    assert.equal(watch.child.exitCode, null, watch.out.stderr);
    const outageLines = exporter.out.stderr
      .split('\n')
      .filter((l) => / cluster unreachable for \d+ s \(\d+ looks? failed\): /.test(l));
    assert.ok(outageLines.length >= 4, `outage lines:\n${exporter.out.stderr}`);
    // Down at the start, paused, killed: three outages, each ended by a line.
    const recoveries = exporter.out.stderr.match(/ cluster answers again after \d+ s/g) ?? [];
    assert.ok(recoveries.length >= 3, exporter.out.stderr);
    assert.doesNotMatch(exporter.out.stderr, /^\s+at /m, 'a stack trace');
    // --watch showed the outage and then the group again.
    const frames = watch.out.stdout.split('\u001b[H\u001b[2J').filter((f) => f !== '');
    const lastOutage = frames.findLastIndex((f) => f.includes('overall UNREACHABLE'));
    assert.ok(lastOutage >= 0, 'no outage frame');
    assert.match(frames[lastOutage] ?? '', /cluster unreachable for \d+ s/);
    assert.ok(
      frames.slice(lastOutage + 1).some((f) => /outage-group +outage-0 /.test(f)),
      `no frame with the group after the outage:\n${frames.slice(-2).join('\n---\n')}`,
    );
  },
);

/** `promtool check metrics` on a scrape, when Debian's prometheus package is installed. */
function lintWithPromtool(text: string): void {
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (check.error === undefined) {
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  }
}
