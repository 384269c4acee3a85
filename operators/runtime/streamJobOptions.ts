import type { Logger } from 'pino';

import type { ConnectionConfig } from '../config/connectionConfig.js';
import type { StreamClient } from '../connectors/kafka/streamClient.js';
import type { Pipeline } from '../dsl/pipeline.js';
import type { QuerySecurity } from '../query/querySecurity.js';
import type { SchemaCatalog } from '../serdes/serde.js';
import type { ProcessingGuarantee } from './committer.js';
import type { RocksDbMemory } from '../state/rocksdb/rocksDbStore.js';
import type { FailurePolicy } from './failurePolicy.js';
import type { RestoreReport } from './taskState.js';

/** @category Runtime */
export interface StreamJobOptions {
  readonly pipeline: Pipeline;
  /** The consumer group id, and the prefix of internal topics and the DLQ (`<id>.dlq`). */
  readonly applicationId: string;
  readonly connection: ConnectionConfig;
  readonly policy?: FailurePolicy;
  /**
   * How often a task commits. Exactly-once: each task's transaction (outputs, changelog,
   * positions) every this many ms while it has work, so a busy task commits a few times a
   * second however many fetches it takes. At-least-once: outputs are sent after each slice
   * of records and the positions committed for the group every this many ms. Default 1000 ms.
   */
  readonly commitIntervalMs?: number;
  /**
   * The bytes a fetch of the job's inputs waits for, up to 100 ms (Kafka's `fetch.min.bytes`).
   * Default 1: a record is fetched as soon as it is there, what a request topic needs. A job
   * that follows a firehose with seconds to spare sets more, and reads it in fewer, fuller
   * batches.
   */
  readonly fetchMinBytes?: number;
  /** Partitions processed concurrently by this instance. Default 4. */
  readonly concurrency?: number;
  /** Where a partition without a committed offset starts. Default earliest. */
  readonly fromBeginning?: boolean;
  /** Default `at-least-once`. See `committer.ts` for what each promises and costs. */
  readonly guarantee?: ProcessingGuarantee;
  /**
   * Where the tasks' RocksDB stores live (`<stateDir>/<taskId>/`). Default
   * `$REELSTREAM_STATE_DIR/<applicationId>`, else `~/.cache/reelstream/state/<applicationId>`.
   */
  readonly stateDir?: string;
  /** One memory budget for the write caches of all stores of this instance. Default 64 MiB. */
  readonly cacheMaxBytes?: number;
  /**
   * Native memory of each task's RocksDB database (block cache, memtables); defaults in
   * `rocksDbMemoryDefaults` (1 MiB block cache, 2 MiB memtable). Raise the block cache when a job reads far more than its
   * store cache holds.
   */
  readonly rocksDb?: RocksDbMemory;
  /**
   * V8's heap growing factor for the whole process, in percent over the live heap its last full
   * collection kept (`--heap-growing-percent`; runtime/heapGrowth.ts has why). Default
   * `REELSTREAM_HEAP_GROWING_PERCENT`, else 100: the heap held stays within about twice the live
   * heap. 0 leaves V8's own choice (up to 4 times). Process-wide: the first job of a process
   * sets it; a `--heap-growing-percent` on Node's command line wins.
   */
  readonly heapGrowingPercent?: number;
  /** How long the group waits for a silent (killed) instance before moving its tasks. Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** Called after each task's state restore (before it processes anything). */
  readonly onRestore?: (report: RestoreReport) => void;
  readonly logger?: Logger;
  /**
   * `host:port` where this instance answers interactive queries over HTTP (`job.query`, and
   * lookups forwarded by the other instances); advertised to them through the consumer group.
   * Port 0 picks a free port. Without it, `job.query` still answers for local keys and names
   * the owner of the others.
   */
  readonly queryEndpoint?: string;
  /**
   * The query endpoint's bearer token(s) and https, also used for the lookups this instance
   * forwards (operators/query/querySecurity.ts). Default: from the environment
   * (`REELSTREAM_QUERY_TOKEN`, `REELSTREAM_QUERY_TLS_*`). A `queryEndpoint` on a routable
   * address without a token does not start unless `allowUnauthenticated`.
   */
  readonly querySecurity?: QuerySecurity;
  /** How often due processing-time timers are looked for. Default 100 ms. */
  readonly timerTickMs?: number;
  /**
   * A task takes its inputs' records in timestamp order (runtime/partitionGroup.ts); an empty
   * input that is behind holds the others back until a fetch shows it at its end, and never
   * longer than this (a safety net: a fetch normally settles it within a fraction of a
   * second). Default 30,000 ms. Negative: an empty input never holds the others back, and
   * records of different inputs may be taken out of timestamp order (Kafka Streams'
   * `max.task.idle.ms` of -1): for a latency-bound task whose order across inputs matters
   * little, such as a request handler reading a table (the serving job).
   */
  readonly maxTaskIdleMs?: number;
  /**
   * Source topics whose records' arrival delay the job measures: when each fetched batch
   * reached the job, minus each record's timestamp (`stats().arrivalDelays`;
   * operators/monitoring/arrivalDelays.ts). For a request topic, the way from the client's send
   * to the job. Default none.
   */
  readonly arrivalDelayTopics?: readonly string[];
  /**
   * For inputs written faster than real time (a replay): while one of a task's inputs is empty,
   * a record of another is taken only once a fetch that started this long after the record
   * arrived has been delivered (runtime/partitionGroup.ts; Kafka Streams' `max.task.idle.ms`
   * plays this part). Default 0: live traffic is written close to its event time, so a record
   * read a moment early moves stream time by that moment. A replay writes its topics one after
   * another, hours of event time at once: read in between, one topic's records run ahead of
   * another's written with them and close windows and sessions early.
   */
  readonly waitForWritersMs?: number;
  /** Records buffered per input partition before it is paused. Default 5,000. */
  readonly bufferedRecordsPerPartition?: number;
  /**
   * What the job does when the broker or the schema registry cannot be reached (down,
   * restarting, paused): it gives up its member and uncommitted work, waits, and starts again
   * from what it committed, logging one line per attempt. Defaults: retry forever, backoff from
   * 1 s doubling to 5 s (an attempt costs a refused connection; a longer wait would be added to
   * every outage's end).
   */
  readonly recovery?: RecoveryOptions;
  /**
   * How long each step of a stop that talks to the broker (final commit, leaving the group,
   * closing producers) may take before the stop goes on without it. Default 10,000 ms.
   */
  readonly stopStepTimeoutMs?: number;
  /**
   * The Kafka client: `kafkajs` (default) or `rdkafka` (librdkafka, the optional
   * `@confluentinc/kafka-javascript`; docs/kafkaClient.md). Default: `REELSTREAM_KAFKA_CLIENT`,
   * else kafkajs.
   */
  readonly kafkaClient?: 'kafkajs' | 'rdkafka';
  /** Replaces the kafkajs client and the registry (for tests of the runtime itself). */
  readonly client?: StreamClient;
  readonly schemas?: SchemaCatalog;
}

/**
 * How a job rides through an outage of the broker or the registry.
 *
 * @category Runtime
 */
export interface RecoveryOptions {
  /**
   * How long the job keeps trying before it fails (`job.whenStopped()` rejects, and a process
   * exits non-zero for its supervisor). Default `Infinity`: a job never gives up on a cluster
   * that will come back.
   */
  readonly maxOutageMs?: number;
  /** The first wait between attempts. Default 1,000 ms. */
  readonly initialBackoffMs?: number;
  /** The longest wait between attempts. Default 5,000 ms. */
  readonly maxBackoffMs?: number;
}
