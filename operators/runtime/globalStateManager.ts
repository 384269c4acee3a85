import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Logger } from 'pino';

import type { ConsumerSession, StreamClient } from '../connectors/kafka/streamClient.js';
import type { GlobalTableSpec } from '../dsl/globalTable.js';
import { ConfigError } from '../errors.js';
import type { SerdeEnvironment } from '../serdes/serde.js';
import type { BytesKeyValueStore } from '../state/keyValueStore.js';
import { InMemoryStore } from '../state/memory/inMemoryStore.js';
import type { GlobalStores, ReadOnlyStore } from '../state/readOnlyStore.js';
import { RocksDbStore } from '../state/rocksdb/rocksDbStore.js';
import type { StoreChange } from '../state/taskStore.js';
import type { RawRecord } from './rawRecord.js';
import { GlobalStore } from './globalStore.js';

/** How often a table that follows its topic writes its checkpoint, at most. */
const checkpointIntervalMs = 1_000;
/** A follower's fetch waits for this much data, or 100 ms. */
const globalFetchMinBytes = 1024 * 1024;

export interface GlobalStateOptions {
  readonly applicationId: string;
  readonly tables: readonly GlobalTableSpec[];
  /** The job's state directory: each table lives in `<stateDir>/global/<name>/`. */
  readonly stateDir: string;
  readonly client: StreamClient;
  readonly environment: SerdeEnvironment;
  readonly logger?: Logger;
  /** Following a topic failed after start: the job cannot trust its global tables any more. */
  readonly onError: (error: unknown) => void;
}

/** Per partition, the offset of the next record to apply. */
interface Checkpoint {
  readonly version: 1;
  readonly topic: string;
  readonly offsets: Record<string, string>;
}

/** One global table: its store, and how far into each partition of its topic it has read. */
class GlobalTableState {
  readonly spec: GlobalTableSpec;
  readonly store: GlobalStore;
  /** Undefined in memory (the test driver): nothing to checkpoint. */
  private readonly dir: string | undefined;
  private readonly offsets = new Map<number, bigint>();
  /** When the checkpoint was last written (Date.now()). */
  private checkpointedAt = 0;
  /** A write put off by the once-a-second limit, due when the second is up. */
  private checkpointTimer: NodeJS.Timeout | undefined;
  /** Closed: its last checkpoint is written, and no later one. */
  private closed = false;

  constructor(spec: GlobalTableSpec, store: { inner: BytesKeyValueStore; dir?: string }) {
    this.spec = spec;
    this.store = new GlobalStore(spec.name, store.inner);
    this.dir = store.dir;
  }

  /**
   * Opens the table's RocksDB database. Local state is trusted only with its checkpoint
   * (written after the changes before it reached RocksDB); without one it is wiped.
   */
  static async open(spec: GlobalTableSpec, stateDir: string): Promise<GlobalTableState> {
    const dir = join(stateDir, 'global', spec.name);
    const checkpoint = readCheckpoint(dir, spec.topic);
    if (checkpoint === undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(dir, { recursive: true });
    const state = new GlobalTableState(spec, {
      inner: await RocksDbStore.open(join(dir, 'db')),
      dir,
    });
    for (const [partition, offset] of Object.entries(checkpoint?.offsets ?? {})) {
      state.offsets.set(Number(partition), BigInt(offset));
    }
    return state;
  }

  /**
   * Reads every partition from the checkpoint (or its start) to its end. A checkpoint outside
   * a partition's current offsets (the topic was recreated, or retention deleted records the
   * table never read) cannot be resumed from: the table is reloaded from scratch.
   */
  async bootstrap(options: GlobalStateOptions): Promise<{ records: number; resumed: boolean }> {
    const { topic } = this.spec;
    const ranges = await options.client.partitionOffsets(topic);
    if (ranges.length === 0) {
      throw new ConfigError(
        'pipeline',
        `global table ${this.spec.name}: topic ${topic} does not exist`,
      );
    }
    const usable = ranges.every(({ partition, low, high }) => {
      const next = this.offsets.get(partition);
      return next === undefined || (next >= BigInt(low) && next <= BigInt(high));
    });
    const resumed = usable && this.offsets.size > 0;
    if (!usable) {
      options.logger?.warn(
        { table: this.spec.name, topic },
        'global table checkpoint does not match the topic: reloading it',
      );
      await this.wipe();
    }
    let records = 0;
    await options.client.readToEnd(
      ranges.map(({ partition, low }) => ({
        topic,
        partition,
        fromOffset: String(this.offsets.get(partition) ?? BigInt(low)),
      })),
      async (batch) => {
        records += batch.length;
        await this.applyRecords(batch);
      },
    );
    this.writeCheckpoint();
    return { records, resumed };
  }

  /** Where to resume reading `partition` of the topic: the next offset to apply, if known. */
  nextOffset(partition: number): bigint | undefined {
    return this.offsets.get(partition);
  }

  /** Applies records in offset order; ones already applied (before a seek took hold) are skipped. */
  async applyRecords(records: readonly RawRecord[]): Promise<void> {
    const changes: StoreChange[] = [];
    for (const record of records) {
      const offset = BigInt(record.offset);
      const next = this.offsets.get(record.partition);
      if (next !== undefined && offset < next) {
        continue;
      }
      this.offsets.set(record.partition, offset + 1n);
      if (record.key !== null && record.key.length > 0) {
        changes.push({
          key: Buffer.from(record.key),
          value: record.value === null ? null : Buffer.from(record.value),
        });
      }
    }
    await this.store.apply(changes);
    // At most once a second: the write and rename are synchronous (a crash between two must
    // leave one whole file), and a table that follows a busy topic applies many batches a
    // second on the serving process's event loop. A checkpoint behind the store only costs a
    // restart re-applying the same values in the same order; a skipped write is made when the
    // second is up, so the checkpoint reaches the last batch (the evaluation reads it to know
    // that a table has caught up).
    const dueInMs = this.checkpointedAt + checkpointIntervalMs - Date.now();
    if (dueInMs <= 0) {
      this.writeCheckpoint();
    } else {
      this.checkpointTimer ??= setTimeout(() => {
        this.checkpointTimer = undefined;
        this.writeCheckpoint();
      }, dueInMs).unref();
    }
  }

  async close(): Promise<void> {
    this.writeCheckpoint();
    this.closed = true;
    await this.store.close();
  }

  /** Forgets local state: every key is deleted, and every partition is read from its start. */
  private async wipe(): Promise<void> {
    await this.store.clear();
    this.offsets.clear();
    this.writeCheckpoint();
  }

  private writeCheckpoint(): void {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (this.closed) {
      return; // the close wrote the last one
    }
    this.checkpointedAt = Date.now();
    if (this.dir === undefined) {
      return;
    }
    const file = join(this.dir, 'checkpoint.json');
    const checkpoint: Checkpoint = {
      version: 1,
      topic: this.spec.topic,
      offsets: Object.fromEntries([...this.offsets].map(([p, o]) => [String(p), String(o)])),
    };
    // Write then rename, so a crash leaves the old checkpoint or the new one, never half.
    writeFileSync(`${file}.tmp`, JSON.stringify(checkpoint));
    renameSync(`${file}.tmp`, file);
  }
}

/**
 * The global tables of one job instance. At start (before the job joins its consumer group)
 * each table is opened from local RocksDB and read to the end of every partition of its
 * topic, so the first record any task processes already sees all of it; then a consumer per
 * table follows the topic until the job stops. Offsets applied are checkpointed beside the
 * database (at most once a second while following), so a restart reads only what it missed.
 *
 * Lookups may see a table a little behind the topic while the job runs (an update is visible
 * once its batch is applied): global tables are for reference data, not for state that must be
 * consistent with the stream (use a co-partitioned table for that).
 */
export class GlobalStateManager implements GlobalStores {
  private readonly tables = new Map<string, GlobalTableState>();
  /** The one consumer that follows every table's topic, once they are loaded. */
  private session: ConsumerSession | undefined;
  /** Once stopping, the tables follow nothing any more, also when a follow was under way. */
  private closed = false;

  private constructor(tables: readonly GlobalTableState[]) {
    for (const table of tables) {
      if (this.tables.has(table.spec.name)) {
        throw new ConfigError('pipeline', `two global tables are named ${table.spec.name}`);
      }
      this.tables.set(table.spec.name, table);
    }
  }

  /** Opens, loads and starts following every table; resolves once all are loaded. */
  static async start(options: GlobalStateOptions): Promise<GlobalStateManager> {
    configureSerdes(options.tables, options.environment);
    const opened: GlobalTableState[] = [];
    try {
      for (const spec of options.tables) {
        opened.push(await GlobalTableState.open(spec, options.stateDir));
      }
      const manager = new GlobalStateManager(opened);
      // Every table settles before a failure closes them all: a table still loading when
      // another failed would otherwise go on to follow its topic after the close, a consumer
      // fetching for a run that was abandoned (seen after a broker restart: the process
      // outlived its job with that consumer's connections).
      const loaded = await Promise.allSettled(
        opened.map(async (table) => {
          const started = performance.now();
          const { records, resumed } = await table.bootstrap(options);
          const ms = Math.round(performance.now() - started);
          options.logger?.info(
            { table: table.spec.name, topic: table.spec.topic, records, resumed, ms },
            `global table ${table.spec.name} loaded: ${records} records in ${ms} ms`,
          );
        }),
      );
      const failed = loaded.find((result) => result.status === 'rejected');
      if (failed !== undefined) {
        throw failed.reason;
      }
      await manager.follow(options);
      return manager;
    } catch (error) {
      await Promise.all(opened.map((table) => table.close().catch(() => undefined)));
      throw error;
    }
  }

  /**
   * Keeps applying what is written to the tables' topics: one consumer for all of them (as
   * Kafka Streams' global thread), in a group of its own (every instance must read every
   * partition), which never commits, since where to resume is each table's checkpoint. Each
   * partition starts where its table's load ended. One consumer rather than one per table: each
   * fetch is a broker request and a socket write on the job's event loop, and a consumer per
   * table made a serving process of six tables send six times as many.
   */
  private async follow(options: GlobalStateOptions): Promise<void> {
    if (this.closed || this.tables.size === 0) {
      return;
    }
    const tables = [...this.tables.values()];
    const topics = [...new Set(tables.map((table) => table.spec.topic))];
    const session = options.client.consumer({
      groupId: `${options.applicationId}.global.${randomUUID()}`,
      topics,
      fromBeginning: true,
      commitIntervalMs: 60_000,
      concurrency: 1,
      autoCommit: false,
      // A table may be up to 100 ms behind its topic; fetching in a loop of small fetches
      // cost the serving process a fifth of its time in socket writes under the demo's load.
      fetchMinBytes: globalFetchMinBytes,
    });
    this.session = session;
    await session.start({
      onBatch: async (batch) => {
        for (const table of tables) {
          if (table.spec.topic === batch.topic) {
            await table.applyRecords(batch.records);
          }
        }
      },
      onRebalancing: () => undefined,
      onAssigned: (assignment) => {
        for (const [topic, partitions] of assignment) {
          const readers = tables.filter((table) => table.spec.topic === topic);
          for (const partition of partitions) {
            // Two tables of one topic: from the one behind (the other skips what it has); one
            // that has read nothing of the partition reads it from its start.
            const offsets = readers.map((table) => table.nextOffset(partition));
            if (offsets.length > 0 && offsets.every((o): o is bigint => o !== undefined)) {
              const next = offsets.reduce((least, offset) => (offset < least ? offset : least));
              session.seek({ topic, partition, offset: String(next) });
            }
          }
        }
        return Promise.resolve();
      },
      onCrash: options.onError,
    });
    if (this.closed) {
      // Stopped while the consumer was connecting: stop() stopped the session, but a start
      // that goes on after its stop would leave the consumer fetching for no one.
      await session.stop().catch(() => undefined);
    }
  }

  /** Global tables in memory, fed by {@link apply} (the test driver). */
  static inMemory(
    tables: readonly GlobalTableSpec[],
    environment: SerdeEnvironment,
  ): GlobalStateManager {
    configureSerdes(tables, environment);
    return new GlobalStateManager(
      tables.map((spec) => new GlobalTableState(spec, { inner: new InMemoryStore() })),
    );
  }

  store(name: string): ReadOnlyStore {
    const table = this.tables.get(name);
    if (table === undefined) {
      const known = [...this.tables.keys()].join(', ') || 'none';
      throw new Error(`the job has no global table "${name}" (its global tables: ${known})`);
    }
    return table.store;
  }

  /** Whether a global table reads `topic`. */
  reads(topic: string): boolean {
    return [...this.tables.values()].some((table) => table.spec.topic === topic);
  }

  /** Applies records of a topic to the tables that read it (the test driver's feed). */
  async apply(records: readonly RawRecord[]): Promise<void> {
    for (const table of this.tables.values()) {
      const mine = records.filter((record) => record.topic === table.spec.topic);
      if (mine.length > 0) {
        await table.applyRecords(mine);
      }
    }
  }

  /** Stops following, checkpoints and closes every table. */
  async stop(logger?: Logger): Promise<void> {
    this.closed = true;
    await this.session
      ?.stop()
      .catch((error: unknown) => logger?.warn({ err: error }, 'global tables consumer stop'));
    this.session = undefined;
    for (const table of this.tables.values()) {
      await table.close();
    }
    this.tables.clear();
  }
}

function configureSerdes(tables: readonly GlobalTableSpec[], environment: SerdeEnvironment): void {
  for (const table of tables) {
    table.keySerde.configure?.(environment);
    table.valueSerde.configure?.(environment);
  }
}

function readCheckpoint(dir: string, topic: string): Checkpoint | undefined {
  const file = join(dir, 'checkpoint.json');
  if (!existsSync(file)) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Checkpoint>;
    // A checkpoint of another topic (the pipeline now reads a different one) is not ours.
    return parsed.version === 1 && parsed.topic === topic && typeof parsed.offsets === 'object'
      ? (parsed as Checkpoint)
      : undefined;
  } catch {
    return undefined; // a torn or foreign file: untrusted
  }
}
