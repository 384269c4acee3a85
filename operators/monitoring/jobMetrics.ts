import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

import type { JobHealthReport } from '../runtime/jobHealth.js';
import type { ArrivalDelaySummary } from './arrivalDelays.js';
import { rocksDbNativeMemory } from '../state/rocksdb/rocksDbStore.js';
import type { JobState } from '../runtime/jobLifecycle.js';

/** What the metrics read from a job at each scrape (a `StreamJob` has all of it). */
export interface MonitoredJob {
  readonly name: string;
  health(): JobHealthReport;
  stats(): {
    readonly processed: number;
    readonly produced: number;
    readonly deadLettered: number;
    /** Replies that could not be delivered (serving jobs; dead-lettered with their reason). */
    readonly undeliverableReplies?: number;
    readonly tasks: readonly string[];
    readonly cacheBytes: number;
    /** Operators' counters (`lateRecords`, `skippedRecords`, …) over the current tasks. */
    readonly operatorCounters?: Readonly<Record<string, number>>;
    readonly cacheEntries?: Readonly<
      Record<string, { readonly values: number; readonly missing: number }>
    >;
    /** The measured source topics' arrival delays (`arrivalDelayTopics`). */
    readonly arrivalDelays?: Readonly<Record<string, ArrivalDelaySummary>>;
  };
}

const states: readonly JobState[] = [
  'created',
  'starting',
  'running',
  'rebalancing',
  'recovering',
  'stopping',
  'stopped',
  'failed',
];

/**
 * A process's jobs as Prometheus metrics, read from the jobs at each scrape (nothing to keep
 * in step): `reelstream_job_state` (1 for the job's current state, as kube-state-metrics
 * shows a pod's phase), its outage and recovery counts, its record counters, and Node's
 * process metrics (`process_resident_memory_bytes`, event-loop lag).
 *
 * @category Monitoring
 */
export class JobMetrics {
  readonly registry = new Registry();
  private readonly jobs: MonitoredJob[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const jobs = this.jobs;
    new Gauge({
      name: 'reelstream_job_state',
      help: 'The job state: 1 for the current one (recovering: the broker or registry is unreachable)',
      labelNames: ['job', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          const current = job.health().state;
          for (const state of states) {
            this.set({ job: job.name, state }, state === current ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'reelstream_job_up',
      help: '1 while the job is running or rebalancing; 0 while starting, recovering, stopped or failed',
      labelNames: ['job'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          this.set({ job: job.name }, job.health().ok ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'reelstream_job_outage_seconds',
      help: 'How long the broker or registry has been unreachable for the job (0 when it is not)',
      labelNames: ['job'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          const since = job.health().outageSince;
          this.set({ job: job.name }, since === undefined ? 0 : (Date.now() - since) / 1000);
        }
      },
    });
    this.counter(
      'reelstream_job_recoveries_total',
      'Runs started again after an outage',
      (job) => job.health().recoveries,
    );
    this.counter(
      'reelstream_job_records_processed_total',
      'Input records processed and committed',
      (job) => job.stats().processed,
    );
    this.counter(
      'reelstream_job_records_produced_total',
      'Output records committed',
      (job) => job.stats().produced,
    );
    this.counter(
      'reelstream_job_dead_letters_total',
      'Records sent to the dead-letter topic',
      (job) => job.stats().deadLettered,
    );
    this.counter(
      'reelstream_job_undeliverable_replies_total',
      'Replies whose reply-to topic was missing, invalid, not allowed or schema-incompatible (dead-lettered)',
      (job) => job.stats().undeliverableReplies ?? 0,
    );
    new Gauge({
      name: 'reelstream_state_cache_bytes',
      help: "Bytes counted against the stores' write-cache budget (cacheMaxBytes)",
      labelNames: ['job'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          this.set({ job: job.name }, job.stats().cacheBytes);
        }
      },
    });
    new Gauge({
      name: 'reelstream_state_rocksdb_memory_bytes',
      help: 'RocksDB native memory in this process, by its own estimates, over every open database: kind="table_readers" (index and filter blocks, which grow with the data on disk), "memtables", "block_cache"',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        const memory = rocksDbNativeMemory();
        this.set({ kind: 'table_readers' }, memory.tableReadersBytes);
        this.set({ kind: 'memtables' }, memory.memtablesBytes);
        this.set({ kind: 'block_cache' }, memory.blockCacheBytes);
      },
    });
    new Gauge({
      name: 'reelstream_state_cache_entries',
      help: 'Entries in a store\'s write cache (all its tasks): kind="value", or kind="missing" (a key known to be absent)',
      labelNames: ['job', 'store', 'kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          for (const [store, count] of Object.entries(job.stats().cacheEntries ?? {})) {
            this.set({ job: job.name, store, kind: 'value' }, count.values);
            this.set({ job: job.name, store, kind: 'missing' }, count.missing);
          }
        }
      },
    });
    new Counter({
      name: 'reelstream_operator_records_total',
      help: 'Records an operator set aside, by counter: lateRecords (late output), invalidTimestampRecords (dead-lettered), skippedRecords (null key or value), … Summed over the tasks this instance runs now, so it drops when tasks move away',
      labelNames: ['job', 'counter'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          for (const [counter, value] of Object.entries(job.stats().operatorCounters ?? {})) {
            this.inc({ job: job.name, counter }, value);
          }
        }
      },
    });
    new Gauge({
      name: 'reelstream_record_arrival_delay_seconds',
      help: "How late the records of a measured source topic reached the job (fetch delivered minus the record's timestamp), over its most recent records",
      labelNames: ['job', 'topic', 'quantile'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          for (const [topic, delays] of Object.entries(job.stats().arrivalDelays ?? {})) {
            this.set({ job: job.name, topic, quantile: '0.5' }, delays.p50Ms / 1000);
            this.set({ job: job.name, topic, quantile: '0.99' }, delays.p99Ms / 1000);
            this.set({ job: job.name, topic, quantile: '1' }, delays.maxMs / 1000);
          }
        }
      },
    });
    new Gauge({
      name: 'reelstream_job_tasks',
      help: 'Tasks this instance runs',
      labelNames: ['job'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          this.set({ job: job.name }, job.stats().tasks.length);
        }
      },
    });
  }

  /** Exports the job's metrics from now on. */
  add(job: MonitoredJob): void {
    this.jobs.push(job);
  }

  /** The health of every job: healthy when all are. */
  health(): { ok: boolean; jobs: Record<string, JobHealthReport> } {
    const jobs: Record<string, JobHealthReport> = {};
    for (const job of this.jobs) {
      jobs[job.name] = job.health();
    }
    return { ok: Object.values(jobs).every((report) => report.ok), jobs };
  }

  /** A counter whose value is read from each job at scrape time. */
  private counter(name: string, help: string, read: (job: MonitoredJob) => number): void {
    const jobs = this.jobs;
    new Counter({
      name,
      help,
      labelNames: ['job'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const job of jobs) {
          this.inc({ job: job.name }, read(job));
        }
      },
    });
  }
}
