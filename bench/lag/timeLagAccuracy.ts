/**
 * Time-lag accuracy (docs/lag.md): a producer writes at a known constant rate, a consumer reads
 * for a while and stops. For `--minutes` (default 5) `reelstream lag --json` is sampled every
 * `--interval` seconds; each sample's reported time lag must stay within max(one sample interval,
 * 10 %) of the true age of the oldest unconsumed record (known from the producer's own send
 * times). Then the group replays from earliest for 30 s: every reported time lag must stay finite.
 *
 *   node --import tsx bench/lag/timeLagAccuracy.ts [--minutes 5] [--interval 5] [--rate 20]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  connection,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '../../test/support/integration.js';

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    interval: { type: 'string', default: '5' },
    rate: { type: 'string', default: '20' },
  },
});
const minutes = Number(options.minutes);
const intervalS = Number(options.interval);
const rate = Number(options.rate);

const cli = join(import.meta.dirname, '..', '..', 'dist', 'jobs', 'cli', 'main.js');
const topic = uniqueName('lagbench-timelag');
const group = `${topic}.group`;
const stateFile = join(mkdtempSync(join(tmpdir(), 'lag-bench-')), 'samples.json');
const kafka = testKafka('lag-bench-timelag');

interface Row {
  committedOffset: number | null;
  lag: number | null;
  timeLagSeconds: number | null;
  timeLagSource: string | null;
}

function sample(): Row | undefined {
  const out = execFileSync(
    process.execPath,
    [cli, 'lag', '--json', '--group', group.replace(/[.]/g, '\\.'), '--state-file', stateFile],
    { encoding: 'utf8', env: { ...process.env, REELSTREAM_BROKERS: connection.brokers.join(',') } },
  );
  const report = JSON.parse(out) as { groups: { partitions: Row[] }[] };
  return report.groups[0]?.partitions[0];
}

await createTopics([topic]);
const producer = kafka.producer();
await producer.connect();
/** Send time of each offset: the truth the reported time lag is compared with. */
const sentAt = new Map<number, number>();
let producing = true;
const producing$ = (async () => {
  while (producing) {
    const at = Date.now();
    const [meta] = await producer.send({ topic, messages: [{ value: String(at) }] });
    sentAt.set(Number(meta?.baseOffset ?? -1), at);
    await sleep(Math.max(0, 1000 / rate - (Date.now() - at)));
  }
})();

const consumer = kafka.consumer({ groupId: group });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
let consumed = 0;
await consumer.run({
  autoCommitInterval: 200,
  eachMessage: () => {
    consumed++;
    return Promise.resolve();
  },
});
await waitFor(() => consumed >= rate * 10, 'the consumer to read 10 s of records', 60_000);
await consumer.disconnect();
console.log(
  `producer at ${rate}/s; consumer stopped after ${consumed} records; sampling every ${intervalS} s for ${minutes} min`,
);
console.log(
  'elapsed_s  committed  lag     true_age_s  reported_s  source        error_s  allowed_s  ok',
);

let failures = 0;
const started = Date.now();
while (Date.now() - started < minutes * 60_000) {
  const row = sample();
  const now = Date.now();
  const sent =
    row?.committedOffset === null || row === undefined
      ? undefined
      : sentAt.get(row.committedOffset);
  const trueAge = sent === undefined ? NaN : (now - sent) / 1000;
  const reported = row?.timeLagSeconds ?? NaN;
  const allowed = Math.max(intervalS, 0.1 * trueAge);
  const ok = Number.isFinite(reported) && Math.abs(reported - trueAge) <= allowed;
  failures += ok ? 0 : 1;
  console.log(
    [
      ((now - started) / 1000).toFixed(0).padStart(9),
      String(row?.committedOffset).padStart(9),
      String(row?.lag).padStart(6),
      trueAge.toFixed(1).padStart(11),
      reported.toFixed(1).padStart(11),
      String(row?.timeLagSource).padEnd(12),
      (reported - trueAge).toFixed(2).padStart(8),
      allowed.toFixed(1).padStart(9),
      ok ? 'ok' : 'FAIL',
    ].join('  '),
  );
  await sleep(Math.max(0, intervalS * 1000 - (Date.now() - now)));
}

// Replay from earliest: a consumer reads from offset 0 at half the production rate.
const admin = kafka.admin();
await admin.connect();
await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }] });
await admin.disconnect();
const replayer = kafka.consumer({ groupId: group });
await replayer.connect();
await replayer.subscribe({ topics: [topic] });
await replayer.run({ autoCommitInterval: 200, eachMessage: () => sleep(2000 / rate) });
console.log('replay from earliest (time lag must stay finite):');
let replayFailures = 0;
for (let i = 0; i < 6; i++) {
  await sleep(intervalS * 1000);
  const row = sample();
  const finite = typeof row?.timeLagSeconds === 'number' && Number.isFinite(row.timeLagSeconds);
  replayFailures += finite ? 0 : 1;
  console.log(
    `  committed ${row?.committedOffset}  lag ${row?.lag}  reported ${row?.timeLagSeconds} s (${row?.timeLagSource})  ${finite ? 'finite' : 'NOT FINITE'}`,
  );
}
await replayer.disconnect();
producing = false;
await producing$;
await producer.disconnect();
const pass = failures === 0 && replayFailures === 0;
console.log(
  `${pass ? 'PASS' : 'FAIL'}: ${failures} samples outside max(${intervalS} s, 10%) of the true age; ${replayFailures} non-finite during replay`,
);
process.exitCode = pass ? 0 : 1;
