import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import type { JobHealthReport } from '../runtime/jobHealth.js';
import { JobMetrics } from './jobMetrics.js';
import { MonitoringServer } from './monitoringServer.js';

/** A job whose health the test sets. */
function fakeJob(name: string): {
  job: Parameters<JobMetrics['add']>[0];
  set(h: JobHealthReport): void;
} {
  let health: JobHealthReport = {
    ok: true,
    status: 'running',
    state: 'running',
    since: 0,
    recoveries: 0,
  };
  return {
    job: {
      name,
      health: () => health,
      stats: () => ({
        processed: 42,
        produced: 7,
        deadLettered: 1,
        undeliverableReplies: 3,
        tasks: ['0_0', '0_1'],
        cacheBytes: 4096,
        operatorCounters: { lateRecords: 5, invalidTimestampRecords: 2 },
        cacheEntries: { 'user-features': { values: 3, missing: 1 } },
        arrivalDelays: {
          'rec.requests': { records: 9, kept: 9, p50Ms: 2, p99Ms: 80, maxMs: 120 },
        },
      }),
    },
    set: (h) => {
      health = h;
    },
  };
}

const metrics = new JobMetrics();
const features = fakeJob('features');
metrics.add(features.job);
const server = await MonitoringServer.listen('127.0.0.1:0', metrics);
after(() => server.close());

test('/health answers 200 while the job runs and 503 with the reason while it recovers', async () => {
  let response = await fetch(`http://${server.endpoint}/health`);
  assert.equal(response.status, 200);
  features.set({
    ok: false,
    status: 'recovering',
    state: 'recovering',
    since: Date.now(),
    recoveries: 2,
    outageSince: Date.now() - 5_000,
    reason: 'connect ECONNREFUSED 127.0.0.1:9092',
  });
  response = await fetch(`http://${server.endpoint}/health`);
  assert.equal(response.status, 503);
  const body = (await response.json()) as { ok: boolean; jobs: Record<string, JobHealthReport> };
  assert.equal(body.ok, false);
  assert.equal(body.jobs['features']?.status, 'recovering');
  assert.match(body.jobs['features']?.reason ?? '', /ECONNREFUSED/);
});

test('/metrics has the job state, the outage, recoveries and the record counters', async () => {
  const text = await (await fetch(`http://${server.endpoint}/metrics`)).text();
  assert.match(text, /reelstream_job_state\{job="features",state="recovering"\} 1/);
  assert.match(text, /reelstream_job_state\{job="features",state="running"\} 0/);
  assert.match(text, /reelstream_job_up\{job="features"\} 0/);
  assert.match(text, /reelstream_job_recoveries_total\{job="features"\} 2/);
  assert.match(text, /reelstream_job_records_processed_total\{job="features"\} 42/);
  assert.match(text, /reelstream_job_tasks\{job="features"\} 2/);
  assert.match(
    text,
    /reelstream_record_arrival_delay_seconds\{job="features",topic="rec.requests",quantile="0.99"\} 0.08/,
  );
  assert.match(text, /reelstream_job_undeliverable_replies_total\{job="features"\} 3/);
  const outage = /reelstream_job_outage_seconds\{job="features"\} ([\d.]+)/.exec(text);
  assert.ok(outage !== null && Number(outage[1]) >= 5, text);
  assert.match(text, /process_resident_memory_bytes/);
});

test("/metrics has the operators' counters and the write cache per store", async () => {
  const text = await (await fetch(`http://${server.endpoint}/metrics`)).text();
  assert.match(text, /reelstream_operator_records_total\{job="features",counter="lateRecords"\} 5/);
  assert.match(
    text,
    /reelstream_operator_records_total\{job="features",counter="invalidTimestampRecords"\} 2/,
  );
  assert.match(text, /reelstream_state_cache_bytes\{job="features"\} 4096/);
  assert.match(
    text,
    /reelstream_state_cache_entries\{job="features",store="user-features",kind="value"\} 3/,
  );
  assert.match(
    text,
    /reelstream_state_cache_entries\{job="features",store="user-features",kind="missing"\} 1/,
  ); // RocksDB's own memory, process-wide (no database open in this test: zeros, but present).
  for (const kind of ['table_readers', 'memtables', 'block_cache']) {
    assert.match(
      text,
      new RegExp(`reelstream_state_rocksdb_memory_bytes\\{kind="${kind}"\\} \\d+`),
    );
  }
});

test('a busy port is a clear configuration error', async () => {
  await assert.rejects(MonitoringServer.listen(server.endpoint, metrics), /already in use/);
  await assert.rejects(MonitoringServer.listen('nowhere', metrics), /not host:port/);
});
