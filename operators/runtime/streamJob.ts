import { homedir } from 'node:os';
import { join } from 'node:path';

import pino, { type Logger } from 'pino';

import { createStreamClient } from '../connectors/kafka/rdkafkaSelection.js';
import type { StreamClient } from '../connectors/kafka/streamClient.js';
import { QueryService } from '../query/queryService.js';
import { querySecurityFromEnv } from '../query/querySecurity.js';
import { StoreQuery, type QueryableStore } from '../query/storeQuery.js';
import type { VectorSearchLookup, VectorSearchResult } from '../query/vectorSearch.js';
import type { ReplyGuard } from '../requestReply/replyGuard.js';
import { guardReplies, replyGuardFor } from '../requestReply/replyGuardedClient.js';
import { RegistrySchemaCatalog } from '../serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../serdes/registryClient.js';
import type { SchemaCatalog } from '../serdes/serde.js';
import { CacheBudget } from '../state/caching/cacheBudget.js';
import { sleep } from '../support/withTimeout.js';
import { deadLetterPolicy, errorMessage, type FailurePolicy } from './failurePolicy.js';
import { applyHeapGrowth } from './heapGrowth.js';
import { JobHealth, type JobHealthReport } from './jobHealth.js';
import { JobLifecycle, type JobState } from './jobLifecycle.js';
import { ArrivalDelays, type ArrivalDelaySummary } from '../monitoring/arrivalDelays.js';
import { ConfigError } from '../errors.js';
import { JobRun, type JobRunHost } from './jobRun.js';
import type { StreamJobOptions } from './streamJobOptions.js';
import type { RestoreReport } from './taskState.js';
import { Topology } from './topology.js';
import { causeMessages, isTransient } from './transientErrors.js';

export type { RecoveryOptions, StreamJobOptions } from './streamJobOptions.js';

/** A run that lasted this long ended an outage: the next one's backoff starts from the first. */
const stableRunMs = 60_000;

/**
 * A pipeline running on Kafka. Its instances (processes started with the same applicationId)
 * form one consumer group; each partition of the input is a task owned by one instance; tasks
 * move between instances on rebalance. The work itself is done by a job run (internal): one group
 * member with its producers and tasks (`jobRun.ts` says how records are taken and committed).
 *
 * This class keeps what outlives a run: the lifecycle, the query endpoint, the counters, and
 * the decision after a run fails. A broker or registry that cannot be reached (down,
 * restarting, paused; `transientErrors.ts`) moves the job to `recovering`: the run is
 * abandoned, its uncommitted work dropped, and a new run starts from the committed state after
 * a backoff, for as long as `recovery.maxOutageMs` allows (forever by default). Any other
 * failure fails the job: `whenStopped()` rejects with it, so the process can exit non-zero
 * for its supervisor at once instead of lingering as a member that holds partitions.
 *
 * @example
 * ```ts
 * import { connectionConfigFromEnv, Pipeline, StreamJob, stringSerde, TopicClient } from 'reelstream';
 *
 * const text = { key: stringSerde, value: stringSerde };
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('words', text)
 *   .mapValues((word) => word.toUpperCase())
 *   .to('shouted', text);
 *
 * // The job's input and output topics must exist (its internal topics it creates itself).
 * const topics = await TopicClient.connect();
 * await topics.createTopics([{ name: 'words', partitions: 1 }, { name: 'shouted', partitions: 1 }]);
 * await topics.close();
 *
 * const job = new StreamJob({ pipeline, applicationId: 'shouter', connection: connectionConfigFromEnv() });
 * await job.start(); // resolves once the job runs
 * // A service stops on its supervisor's signal: process.once('SIGTERM', () => void job.stop());
 * await job.stop();
 * ```
 * @category Runtime
 */
export class StreamJob {
  /** The graph of tasks compiled from the pipeline. @internal */
  readonly topology: Topology;
  readonly lifecycle = new JobLifecycle();
  private readonly options: StreamJobOptions;
  private readonly client: StreamClient;
  private readonly logger: Logger;
  private readonly policy: FailurePolicy;
  private readonly budget: CacheBudget;
  private readonly stateDir: string;
  private readonly restores: RestoreReport[] = [];
  private readonly counters = { processed: 0, produced: 0, deadLettered: 0 };
  /** The named topics' arrival delays, over every run of the job. */
  private readonly arrivals: ArrivalDelays | undefined;
  /** A serving job's last check on replies (requestReply/replyGuard.ts); else undefined. */
  private readonly replies: ReplyGuard | undefined;
  private readonly closing = new Map<string, Promise<void>>();
  private readonly queries: QueryService;
  private readonly healthTracker: JobHealth;
  private readonly stopRequested = new AbortController();
  private schemas: SchemaCatalog | undefined;
  private run: JobRun | undefined;
  /** Runs that started: their failures are this job's to handle (before, {@link startRun}'s). */
  private readonly started = new WeakSet<JobRun>();
  /** Starting a run (the first, or after a failure): shutdown waits for it. */
  private recovering: Promise<void> | undefined;
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: StreamJobOptions) {
    this.options = options;
    this.topology = new Topology(options.pipeline.graph, options.applicationId);
    this.client =
      options.client ??
      createStreamClient(options.connection, {
        clientId: options.applicationId,
        ...(options.kafkaClient === undefined ? {} : { client: options.kafkaClient }),
      });
    this.logger = options.logger ?? pino({ name: options.applicationId, level: 'info' });
    applyHeapGrowth(options.heapGrowingPercent, this.logger);
    this.replies = replyGuardFor(options.pipeline.graph, {
      client: this.client,
      deadLetterTopic: this.deadLetterTopic,
      logger: this.logger,
      onDeadLettered: (count) => (this.counters.deadLettered += count),
    });
    if (this.replies !== undefined) {
      this.client = guardReplies(this.client, this.replies);
    }
    this.policy = options.policy ?? deadLetterPolicy;
    this.budget = new CacheBudget(options.cacheMaxBytes ?? 64 * 1024 * 1024);
    this.arrivals = arrivalDelaysOf(this.topology, options.arrivalDelayTopics);
    this.stateDir =
      options.stateDir ??
      join(
        process.env['REELSTREAM_STATE_DIR'] ?? join(homedir(), '.cache', 'reelstream', 'state'),
        options.applicationId,
      );
    this.healthTracker = new JobHealth(this.lifecycle);
    this.lifecycle.onChange((to, from) => this.logger.info({ from, to }, `job ${to}`));
    this.queries = new QueryService(
      {
        topology: this.topology,
        groupId: options.applicationId,
        client: this.client,
        localStore: (taskId, store) => this.run?.localStore(taskId, store),
        isAssigned: (taskId) => this.run?.isAssigned(taskId) ?? false,
        localVectorStore: (taskId, store) => this.run?.localVectorStore(taskId, store),
      },
      this.logger,
      options.querySecurity ?? querySecurityFromEnv(),
    );
  }

  /** The job's application id. */
  get name(): string {
    return this.options.applicationId;
  }

  get state(): JobState {
    return this.lifecycle.state;
  }

  get deadLetterTopic(): string {
    return `${this.options.applicationId}.dlq`;
  }

  /** Whether the job is running, recovering from an outage, or failed, and since when. */
  health(): JobHealthReport {
    return this.healthTracker.report();
  }

  /** Records processed, outputs produced and dead letters sent by this instance so far. */
  stats(): {
    processed: number;
    produced: number;
    deadLettered: number;
    tasks: string[];
    restores: readonly RestoreReport[];
    cacheBytes: number;
    /** The budget `cacheBytes` is counted against (`cacheMaxBytes`). */
    cacheMaxBytes: number;
    /** Entries in the write cache per store: values, and keys known to be missing. */
    cacheEntries: Record<string, { readonly values: number; readonly missing: number }>;
    /** Operators' counters (`lateRecords`, …) summed over this instance's current tasks. */
    operatorCounters: Record<string, number>;
    /** Runs started after an outage. */
    recoveries: number;
    /**
     * Requests whose reply could not be delivered (reply-to missing, deleted, invalid, not
     * allowed, of another schema): dead-lettered instead, and in `deadLettered` too.
     */
    undeliverableReplies: number;
    /** Per topic of `arrivalDelayTopics`: how late its records reached the job. */
    arrivalDelays: Record<string, ArrivalDelaySummary>;
  } {
    const { tasks, operatorCounters } = this.run?.taskStats() ?? {
      tasks: [],
      operatorCounters: {},
    };
    return {
      ...this.counters,
      operatorCounters,
      tasks,
      restores: [...this.restores],
      cacheBytes: this.budget.usedBytes,
      cacheMaxBytes: this.budget.maxBytes,
      cacheEntries: this.budget.entries(),
      recoveries: this.healthTracker.report().recoveries,
      undeliverableReplies: this.replies?.counts().total ?? 0,
      arrivalDelays: this.arrivals?.summary() ?? {},
    };
  }

  /**
   * Configures the serdes, opens the query endpoint and starts the first run; resolves once
   * consuming. A broker or registry that cannot be reached yet is waited for (`recovery`);
   * anything else rejects, and the job is failed.
   */
  async start(): Promise<void> {
    this.lifecycle.moveTo('starting');
    try {
      this.schemas =
        this.options.schemas ??
        new RegistrySchemaCatalog(createRegistryClient(this.options.connection.registry));
      for (const node of this.topology.graph.all()) {
        if (node.kind !== 'processor') {
          node.keySerde.configure?.({ schemas: this.schemas });
          node.valueSerde.configure?.({ schemas: this.schemas });
        }
      }
      if (this.options.queryEndpoint !== undefined) {
        await this.queries.listen(this.options.queryEndpoint);
      }
      this.recovering = this.startRun();
      try {
        await this.recovering;
      } finally {
        this.recovering = undefined;
      }
    } catch (error) {
      await this.fail(error);
      throw error;
    }
  }

  /**
   * Point and range lookups on one of the job's key-value stores (the pipeline's definition of
   * it, or its name and serdes), answered by whichever instance owns each key.
   */
  query<TKey, TValue>(store: QueryableStore<TKey, TValue>): StoreQuery<TKey, TValue> {
    return new StoreQuery(this.queries, store);
  }

  /**
   * A top-K search of one of the job's vector stores over every shard: this instance's, and
   * the other instances' through their query endpoints. Shards that cannot answer make the
   * result degraded (`unavailable` says which), never a failure.
   */
  searchVectors(lookup: VectorSearchLookup): Promise<VectorSearchResult> {
    return this.queries.search(lookup);
  }

  /** Where this instance answers queries, once started with a `queryEndpoint`. */
  get queryEndpoint(): string | undefined {
    return this.queries.endpoint;
  }

  /** Stops gracefully: finishes the batches in flight, commits, leaves the group, closes tasks. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Stops the job gracefully on SIGTERM or SIGINT (flush, commit, leave the group); the
   * handlers are removed once it has stopped. A second signal while stopping is ignored.
   */
  stopOnSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.logger.info({ signal }, 'signal received: stopping');
      void this.stop();
    };
    for (const signal of signals) {
      process.on(signal, onSignal);
    }
    this.lifecycle.onChange((to) => {
      if (to === 'stopped') {
        for (const signal of signals) {
          process.off(signal, onSignal);
        }
      }
    });
  }

  /** Resolves when the job has stopped; rejects with the cause when it failed. */
  async whenStopped(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.state === 'stopped') {
        resolve();
        return;
      }
      this.lifecycle.onChange((to) => {
        if (to === 'stopped') {
          resolve();
        }
      });
    });
    if (this.failure !== undefined) {
      throw this.failure;
    }
  }

  /**
   * Starts runs until one is consuming. A run that fails to start because the broker or the
   * registry is unreachable is abandoned and another started after a backoff (doubling, up to
   * `maxBackoffMs`), with one log line per attempt, until `maxOutageMs` has passed.
   */
  private async startRun(): Promise<void> {
    const recovery = this.options.recovery ?? {};
    const maxOutageMs = recovery.maxOutageMs ?? Infinity;
    const maxBackoffMs = recovery.maxBackoffMs ?? 5_000;
    let backoffMs = recovery.initialBackoffMs ?? 1_000;
    const outageStarted = this.healthTracker.outageStartedAt ?? Date.now();
    for (let attempt = 1; ; attempt++) {
      if (this.stopping !== undefined) {
        return;
      }
      const run: JobRun = new JobRun(this.runHost((error) => this.onRunFailure(run, error)));
      this.run = run;
      let error: Error | undefined;
      try {
        await run.start();
        error = run.failed;
      } catch (thrown) {
        error = thrown instanceof Error ? thrown : new Error(String(thrown));
      }
      if (error === undefined) {
        this.started.add(run);
        this.healthTracker.runStarted();
        this.scheduleStableCheck(run);
        return;
      }
      await run.stop(this.stopStepTimeoutMs);
      if (this.stopping !== undefined) {
        return;
      }
      const outageMs = Date.now() - outageStarted;
      if (!isTransient(error) || outageMs >= maxOutageMs) {
        throw error;
      }
      this.healthTracker.outage(error, outageStarted);
      if (this.state !== 'recovering' && this.lifecycle.canMoveTo('recovering')) {
        this.lifecycle.moveTo('recovering');
      }
      this.logger.warn(
        { attempt, outageMs, retryInMs: backoffMs, cause: causeMessages(error) },
        `broker or registry unreachable for ${Math.round(outageMs / 1000)} s: starting again in ${backoffMs} ms (attempt ${attempt})`,
      );
      await sleep(
        Math.min(backoffMs, Math.max(0, maxOutageMs - outageMs)),
        this.stopRequested.signal,
      );
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    }
  }

  /** A run that has lasted {@link stableRunMs} ends the outage it recovered from. */
  private scheduleStableCheck(run: JobRun): void {
    setTimeout(() => {
      if (this.run === run && run.failed === undefined) {
        this.healthTracker.outageOver();
      }
    }, stableRunMs).unref();
  }

  private runHost(onFailure: (error: Error) => void): JobRunHost {
    const schemas = this.schemas;
    if (schemas === undefined) {
      throw new Error('the job has no schema catalog; was start() awaited?');
    }
    return {
      options: this.options,
      topology: this.topology,
      client: this.client,
      logger: this.logger,
      policy: this.policy,
      budget: this.budget,
      stateDir: this.stateDir,
      schemas,
      queryEndpoint: this.queries.endpoint,
      counters: this.counters,
      arrivals: this.arrivals,
      restores: this.restores,
      closing: this.closing,
      onRebalancing: () => {
        this.queries.invalidate();
        if (this.lifecycle.canMoveTo('rebalancing') && this.state !== 'rebalancing') {
          this.lifecycle.moveTo('rebalancing');
        }
      },
      onAssigned: () => {
        this.queries.invalidate();
        if (this.lifecycle.canMoveTo('running') && this.state !== 'running') {
          this.lifecycle.moveTo('running');
        }
      },
      onFailure,
    };
  }

  /**
   * A running run failed. Unreachable broker or registry: abandon it and start another
   * ({@link startRun}); anything else: the job fails. Failures of a run being started are
   * {@link startRun}'s to handle, and those of an abandoned run are no news.
   */
  private onRunFailure(run: JobRun, error: Error): void {
    if (run !== this.run || !this.started.has(run) || this.stopping !== undefined) {
      return;
    }
    if (!isTransient(error)) {
      void this.fail(error);
      return;
    }
    this.logger.warn(
      { cause: causeMessages(error) },
      'broker or registry unreachable: abandoning this run (its uncommitted work is redone) and starting again from the committed state',
    );
    this.healthTracker.outage(error, Date.now());
    if (this.state !== 'recovering') {
      this.lifecycle.moveTo('recovering');
    }
    this.queries.invalidate();
    this.recovering = (async () => {
      await run.stop(this.stopStepTimeoutMs);
      await this.startRun();
    })()
      .catch((startError: unknown) => this.fail(startError))
      .finally(() => {
        this.recovering = undefined;
      });
  }

  private get stopStepTimeoutMs(): number {
    return this.options.stopStepTimeoutMs ?? 10_000;
  }

  private async shutdown(): Promise<void> {
    if (this.state !== 'failed') {
      this.lifecycle.moveTo('stopping');
    }
    this.stopRequested.abort();
    await this.queries
      .close()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'query server close'));
    // A run being started or recovered stops at its next step; then the current run stops.
    await this.recovering?.catch(() => undefined);
    await this.run?.stop(this.stopStepTimeoutMs);
    this.lifecycle.moveTo('stopped');
  }

  private async fail(error: unknown): Promise<void> {
    if (this.state === 'failed' || this.state === 'stopped' || this.stopping !== undefined) {
      return;
    }
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.logger.error({ err: error }, `job failed: ${errorMessage(error)}`);
    this.lifecycle.moveTo('failed');
    this.healthTracker.failed(this.failure);
    await this.stop();
  }
}

/** The arrival delays of the topics named, each one the pipeline reads (else a ConfigError). */
function arrivalDelaysOf(
  topology: Topology,
  topics: readonly string[] | undefined,
): ArrivalDelays | undefined {
  if (topics === undefined || topics.length === 0) {
    return undefined;
  }
  const unread = topics.filter((topic) => topology.subTopologyOf(topic) === undefined);
  if (unread.length > 0) {
    throw new ConfigError(
      'arrivalDelayTopics',
      `${unread.join(', ')}: not a source topic of the pipeline`,
    );
  }
  return new ArrivalDelays(topics);
}
