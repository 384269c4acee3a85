import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Logger } from 'pino';

import type { ReadCount, SendReceipt, StreamClient } from '../connectors/kafka/streamClient.js';
import { partitionId } from '../connectors/kafka/streamClient.js';
import type { CacheBudget } from '../state/caching/cacheBudget.js';
import type { BytesKeyValueStore } from '../state/keyValueStore.js';
import { InMemoryStore } from '../state/memory/inMemoryStore.js';
import { keyId } from '../state/keyId.js';
import { keyPrefix, keyPrefixEnd, PrefixedStore } from '../state/prefixedStore.js';
import {
  nativeBatchBytes,
  RocksDbStore,
  type RocksDbMemory,
} from '../state/rocksdb/rocksDbStore.js';
import { positionedChangelogHeader, type PositionSource } from '../state/appliedPositions.js';
import type { BatchOperation } from '../state/keyValueStore.js';
import { changelogTopic, type StoreSpec } from '../state/storeDefinition.js';
import { TaskStore, type StoreChange } from '../state/taskStore.js';
import type { OutgoingRecord, RawRecord } from './rawRecord.js';

/** What one task's restore read from its changelogs. */
export interface RestoreReport {
  readonly taskId: string;
  readonly stores: readonly string[];
  readonly records: number;
  readonly bytes: number;
  readonly ms: number;
  /** Why it restored from the start: local state missing or untrusted; undefined when it resumed. */
  readonly fullRestoreReason: string | undefined;
}

/** Per store: the changelog offset from which the local database may be missing changes. */
interface Checkpoint {
  readonly version: 1;
  readonly offsets: Record<string, string>;
  /** Whether stored values carry applied input positions (at-least-once); absent: false. */
  readonly positions?: boolean;
}

export interface TaskStateOptions {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  readonly specs: readonly StoreSpec[];
  /** Where RocksDB stores live: `<stateDir>/<taskId>/db`, with `checkpoint.json` beside. */
  readonly stateDir: string;
  readonly budget: CacheBudget;
  /** Native memory of the task's RocksDB database; defaults when undefined. */
  readonly rocksDb?: RocksDbMemory;
  /** Reads the changelogs; undefined in the test driver, which starts empty. */
  readonly client?: StreamClient;
  readonly logger?: Logger;
  /**
   * Resolves when the changelogs may be read: under exactly-once once the task's producer has
   * fenced the previous owner and settled its open transaction. The stores open (and the keys
   * they hold are read) meanwhile. Undefined: at once.
   */
  readonly readyToRestore?: Promise<unknown>;
  /** Called between restore batches (a consumer group heartbeat). */
  readonly onProgress?: () => Promise<void>;
  /**
   * At-least-once: stored values carry the input positions applied to them, so replays after a
   * crash are recognised (appliedPositions.ts). The stored layout differs, so a state directory
   * and changelog written in one mode cannot be read in the other.
   */
  readonly carryPositions?: boolean;
}

/**
 * Changelog records per native write during a restore, at most (and at most
 * `nativeBatchBytes` of keys and values, which RocksDbStore writes through a reused batch):
 * a fetch of 8 MB (80,000 small records) written at once would hold the event loop for
 * tens of milliseconds while the binding takes the records in.
 */
const restoreWriteBatch = 10_000;

/** How often, at most, a task's checkpoint is written after its commits. */
const checkpointIntervalMs = 5_000;

/**
 * The state stores of one task: opened from local RocksDB and caught up from their changelogs
 * before the task processes anything; committed together at each commit.
 *
 * Local state is trusted when its checkpoint file exists: the checkpoint is written after a
 * commit (at most every {@link checkpointIntervalMs}, and when the task closes), after the
 * committed changes reached RocksDB, so the database holds at least every change before the
 * checkpointed changelog offsets. Replaying the changelog from there is idempotent (records
 * carry values, not increments), so an older checkpoint only means a longer replay. Without a checkpoint (first start, deleted
 * file, a crash during the very first commit) the database is wiped and restored in full.
 */
export class TaskState {
  readonly taskId: string;
  private readonly options: TaskStateOptions;
  private readonly stores = new Map<string, TaskStore>();
  private readonly specs = new Map<string, StoreSpec>();
  private database: RocksDbStore | undefined;
  private offsets: Record<string, string> = {};
  /** The offsets of the checkpoint the task opened with, before its restore moved them. */
  private openedOffsets: Readonly<Record<string, string>> = {};
  private pending = new Map<string, StoreChange[]>();
  /** Per store on RocksDB, by key id: the keys its restore wrote, for its key filter. */
  private readonly restoredKeys = new Map<string, Map<string, Buffer>>();
  /** When the checkpoint was last written; whether commits completed since. */
  private checkpointedAt = 0;
  private checkpointStale = false;
  /** The input record being processed; the task sets it, stores that carry positions read it. */
  readonly position: PositionSource = { current: undefined };

  private constructor(options: TaskStateOptions) {
    this.options = options;
    this.taskId = options.taskId;
    for (const spec of options.specs) {
      this.specs.set(spec.name, spec);
    }
  }

  /**
   * Opens the task's stores and restores them; resolves with what the restore read. The local
   * part (the database, its checkpoint, the keys it holds) and the changelog reader's connect
   * are done while `readyToRestore` is pending; the changelogs' ends are asked for after it.
   * Whatever fails on the way, the stores are closed again.
   */
  static async open(
    options: TaskStateOptions,
  ): Promise<{ state: TaskState; report: RestoreReport }> {
    const state = new TaskState(options);
    const reason = await state.openStores();
    const existing = state.existingKeys(reason);
    existing.catch(() => undefined); // awaited below; not unhandled if the restore fails first
    try {
      const report = await state.restore(reason, existing);
      return { state, report };
    } catch (error) {
      // The scan must end before the database closes: the binding crashes on use after close.
      // (The restore's own writes have ended: it fails only between them.)
      await existing.catch(() => undefined);
      await state.close();
      throw error;
    }
  }

  get taskDir(): string {
    return join(this.options.stateDir, this.taskId);
  }

  store(name: string): TaskStore {
    const store = this.stores.get(name);
    if (store === undefined) {
      const known = [...this.stores.keys()].join(', ') || 'none';
      throw new Error(
        `task ${this.taskId} has no state store "${name}" (its stores: ${known}); declare it in the operator's \`stores\``,
      );
    }
    return store;
  }

  /**
   * Where a file derived from a store on RocksDB may be kept beside the task's checkpoint (a
   * vector store's index snapshot); undefined for a store kept in memory. The directory goes
   * with the database: it is wiped with it when the checkpoint is missing.
   */
  derivedFile(name: string, extension: string): string | undefined {
    return this.specs.get(name)?.backend !== 'rocksdb'
      ? undefined
      : join(this.taskDir, 'derived', `${name}.${extension}`);
  }

  /**
   * What ties a derived file to the checkpoint: the store's changelog offset in the checkpoint
   * the task opened with (`opened`), or in the one written last (`latest`, after the close).
   */
  checkpointTag(name: string, which: 'opened' | 'latest'): string {
    return (which === 'opened' ? this.openedOffsets : this.offsets)[name] ?? 'none';
  }

  /** Whether a store's uncommitted writes fill the cache budget. */
  wantsCommit(): boolean {
    return [...this.stores.values()].some((store) => store.wantsCommit());
  }

  /**
   * Takes every store's uncommitted changes for the next commit and returns the changelog
   * records to send with it.
   */
  prepareCommit(timestamp: number): OutgoingRecord[] {
    const records: OutgoingRecord[] = [];
    const headers = this.options.carryPositions === true ? positionedHeaders : {};
    this.pending = new Map();
    for (const [name, store] of this.stores) {
      const changes = store.changes();
      this.pending.set(name, changes);
      if (this.specs.get(name)?.changelog === true) {
        const topic = changelogTopic(this.options.applicationId, name);
        for (const change of changes) {
          records.push({
            topic,
            partition: this.options.partition,
            key: change.key,
            value: change.value,
            timestamp,
            headers,
          });
        }
      }
    }
    return records;
  }

  /**
   * The commit succeeded: write its changes to the local stores, then the checkpoint (the
   * first changelog offset of this commit per store; replay from there is idempotent).
   */
  async completeCommit(receipt: SendReceipt): Promise<void> {
    for (const [name, changes] of this.pending) {
      await this.store(name).applyCommitted(changes);
      const topic = changelogTopic(this.options.applicationId, name);
      const first = receipt.get(partitionId(topic, this.options.partition));
      if (first !== undefined && this.specs.get(name)?.changelog === true) {
        this.offsets[name] = first;
      }
    }
    this.pending = new Map();
    this.checkpointStale = true;
    // A file write and rename per task and commit was 1.3% of the feature job's CPU (tens of
    // tasks, a commit a second each); a checkpoint a few seconds old costs a restore a few
    // seconds more of changelog.
    if (performance.now() - this.checkpointedAt >= checkpointIntervalMs) {
      this.writeCheckpoint();
    }
  }

  /** The commit failed: forget the uncommitted writes (they are replayed from the input). */
  discardUncommitted(): void {
    this.pending = new Map();
    for (const store of this.stores.values()) {
      store.discardUncommitted();
    }
  }

  /** Closes the stores; uncommitted writes are dropped (commit before to keep them). */
  async close(): Promise<void> {
    if (this.checkpointStale) {
      this.writeCheckpoint();
    }
    for (const store of this.stores.values()) {
      await store.close();
    }
    this.stores.clear();
    await this.database?.close();
    this.database = undefined;
  }

  /** Opens the stores; returns why local state cannot be used, or undefined when it can. */
  private async openStores(): Promise<string | undefined> {
    const persistent = this.options.specs.filter((s) => s.backend === 'rocksdb');
    let reason: string | undefined;
    if (persistent.length > 0) {
      const checkpoint = this.readCheckpoint();
      const dbDir = join(this.taskDir, 'db');
      if (checkpoint === undefined) {
        reason = existsSync(dbDir) ? 'no checkpoint: local state untrusted' : 'no local state';
        rmSync(this.taskDir, { recursive: true, force: true });
      } else {
        this.assertSameLayout(checkpoint.positions === true, 'the local checkpoint');
        this.offsets = { ...checkpoint.offsets };
        this.openedOffsets = { ...checkpoint.offsets };
      }
      mkdirSync(this.taskDir, { recursive: true });
      this.database = await RocksDbStore.open(dbDir, this.options.rocksDb);
    }
    for (const spec of this.options.specs) {
      const inner: BytesKeyValueStore =
        spec.backend === 'rocksdb' && this.database !== undefined
          ? new PrefixedStore(this.database, spec.name)
          : new InMemoryStore();
      if (spec.backend === 'memory') {
        delete this.offsets[spec.name];
      }
      this.stores.set(
        spec.name,
        new TaskStore({
          name: spec.name,
          inner,
          budget: this.options.budget,
          ...(this.options.carryPositions === true ? { positions: this.position } : {}),
        }),
      );
    }
    return reason;
  }

  private async restore(
    fullRestoreReason: string | undefined,
    existing: Promise<ReadonlyMap<string, readonly Buffer[]>>,
  ): Promise<RestoreReport> {
    // Timed from the moment the changelogs' ends are final (the producer has fenced), as when
    // the reader only began to connect then: its connect now overlaps the fencing.
    let started = performance.now();
    const ready = Promise.resolve(this.options.readyToRestore).then(() => {
      started = performance.now();
    });
    ready.catch(() => undefined); // awaited below (or by the read)
    const logged = this.options.specs.filter((s) => s.changelog);
    const byTopic = new Map(
      logged.map((s) => [changelogTopic(this.options.applicationId, s.name), s.name]),
    );
    let records = 0;
    let bytes = 0;
    // Where a restore's time went, for its log line: until the first records came (connect,
    // metadata, end offsets), the reading and writing, the key filters.
    let firstRecordsAt: number | undefined;
    // The keys already in the database were read before (open), not after the restore's
    // writes, where the scan waited behind other tasks' writes for the threads of the pool;
    // the keys the restore writes are taken as it writes them.
    const client = this.options.client;
    if (client !== undefined && logged.length > 0) {
      const partitions = logged.map((s) => ({
        topic: changelogTopic(this.options.applicationId, s.name),
        partition: this.options.partition,
        fromOffset: this.offsets[s.name] ?? '0',
      }));
      // Of each fetch only the latest record of a key is written (restoreBatch), so the client
      // may leave the others out before they are objects; `read` still counts them.
      const onBatch = async (batch: readonly RawRecord[], read: ReadCount): Promise<void> => {
        const first = batch[0];
        const name = first === undefined ? undefined : byTopic.get(first.topic);
        if (name === undefined) {
          return;
        }
        firstRecordsAt ??= performance.now();
        if (first !== undefined && first.value !== null) {
          this.assertSameLayout(
            first.headers[positionedChangelogHeader] !== undefined,
            first.topic,
          );
        }
        await this.restoreBatch(name, batch);
        records += read.records;
        bytes += read.bytes;
        const last = batch[batch.length - 1];
        if (last !== undefined) {
          // Everything up to here is applied: the next restore may start after it.
          this.offsets[name] = String(BigInt(last.offset) + 1n);
        }
        await this.options.onProgress?.();
      };
      await client.readToEnd(partitions, onBatch, { latestPerKey: true, after: ready });
    }
    await ready;
    this.writeCheckpoint();
    const readAt = performance.now();
    await this.trackKeys(await existing);
    const report: RestoreReport = {
      taskId: this.taskId,
      stores: logged.map((s) => s.name),
      records,
      bytes,
      ms: performance.now() - started,
      fullRestoreReason,
    };
    if (logged.length > 0) {
      this.options.logger?.info(
        {
          task: this.taskId,
          ...report,
          ms: Math.round(report.ms),
          phasesMs: {
            untilFirstRecords: Math.round((firstRecordsAt ?? readAt) - started),
            read: Math.round(readAt - started),
            keyFilters: Math.round(performance.now() - readAt),
          },
        },
        `restored ${records} changelog records (${(bytes / 1e6).toFixed(1)} MB) in ${Math.round(report.ms)} ms`,
      );
    }
    return report;
  }

  /**
   * Writes one fetched batch of a store's changelog. Only the last record of each key is
   * written: a changelog record carries the key's whole value, so the earlier ones of the same
   * batch would be overwritten within the same restore anyway, and an aggregate's changelog
   * holds many updates per key until it is compacted (a per-user total: one per event of the
   * user; a window's count: one per event in the window). A write costs the binding
   * about 7 µs a record; finding the last record of a key costs a map lookup.
   *
   * A store on RocksDB is written straight to the task's database, behind the store's key
   * prefix, in native batches of {@link restoreWriteBatch}: not through its TaskStore (whose
   * cache is empty before the task runs) and PrefixedStore, whose per-record copies, spreads and
   * cache bookkeeping cost more than the write. The keys of one write share one allocation.
   * A crash between two of those writes leaves a mix of old and new values, as a crash during
   * any restore does: the checkpoint still names an offset before them, and replaying from
   * there is idempotent.
   */
  private async restoreBatch(name: string, batch: readonly RawRecord[]): Promise<void> {
    const lastOfKey = new Map<string, RawRecord>();
    for (const record of batch) {
      if (record.key !== null && record.key.length > 0) {
        // Deleted and set again: the later record wins, and the map keeps it in place of the
        // earlier one (its position among the keys does not matter: one batch, distinct keys).
        lastOfKey.set(keyId(record.key), record);
      }
    }
    const database = this.database;
    if (this.specs.get(name)?.backend !== 'rocksdb' || database === undefined) {
      await this.store(name).restore([...lastOfKey.values()].flatMap(changeOf));
      return;
    }
    const latest = [...lastOfKey];
    const prefix = keyPrefix(name);
    let restored = this.restoredKeys.get(name);
    if (restored === undefined) {
      restored = new Map();
      this.restoredKeys.set(name, restored);
    }
    for (let from = 0; from < latest.length;) {
      // Up to restoreWriteBatch records and nativeBatchBytes of keys and values a write.
      let to = from;
      let bytes = 0;
      let written = 0;
      while (to < latest.length && to - from < restoreWriteBatch) {
        const record = latest[to]?.[1];
        const size = prefix.length + (record?.key?.length ?? 0) + (record?.value?.length ?? 0);
        if (to > from && written + size > nativeBatchBytes) {
          break;
        }
        written += size;
        bytes += prefix.length + (record?.key?.length ?? 0);
        to++;
      }
      const slice = latest.slice(from, to);
      from = to;
      const keys = Buffer.allocUnsafe(bytes);
      let at = 0;
      const operations: BatchOperation[] = [];
      for (const [id, record] of slice) {
        if (record.key === null) {
          continue; // not in `latest`: a changelog record without a key changes nothing
        }
        const start = at;
        at += prefix.copy(keys, at);
        keys.set(record.key, at);
        at += record.key.length;
        const key = keys.subarray(start, at);
        restored.set(id, key.subarray(prefix.length));
        operations.push(
          record.value === null
            ? { type: 'delete', key }
            : { type: 'put', key, value: record.value },
        );
      }
      await database.batch(operations);
    }
  }

  /**
   * Per store on RocksDB, the keys in the database before the restore: one bulk scan of the
   * store's prefix (keys only, read ahead in large chunks), none after a wipe.
   */
  private async existingKeys(
    fullRestoreReason: string | undefined,
  ): Promise<Map<string, readonly Buffer[]>> {
    const keys = new Map<string, readonly Buffer[]>();
    const database = this.database;
    if (database === undefined || fullRestoreReason !== undefined) {
      return keys; // a wiped database (or none) holds nothing
    }
    for (const spec of this.options.specs) {
      if (spec.backend === 'rocksdb') {
        const prefix = keyPrefix(spec.name);
        const stored = await database.keys({ gte: prefix, lt: keyPrefixEnd(spec.name) });
        keys.set(
          spec.name,
          stored.map((key) => key.subarray(prefix.length)),
        );
      }
    }
    return keys;
  }

  /**
   * Builds each store's key filter: a store on RocksDB from the keys it held before the
   * restore and those the restore wrote, without reading the database again; a store in memory
   * from its own scan.
   */
  private async trackKeys(existing: ReadonlyMap<string, readonly Buffer[]>): Promise<void> {
    for (const [name, store] of this.stores) {
      if (this.specs.get(name)?.backend === 'rocksdb' && this.database !== undefined) {
        const keys = [...(existing.get(name) ?? [])];
        for (const key of this.restoredKeys.get(name)?.values() ?? []) {
          keys.push(key);
        }
        await store.trackKeys(keys);
      } else {
        await store.trackKeys();
      }
    }
    this.restoredKeys.clear();
  }

  /** State written under one guarantee cannot be read under the other: say so, clearly. */
  private assertSameLayout(written: boolean, where: string): void {
    const expected = this.options.carryPositions === true;
    if (written !== expected) {
      const mode = (carries: boolean): string => (carries ? 'at-least-once' : 'exactly-once');
      throw new Error(
        `task ${this.taskId}: ${where} was written under ${mode(written)} and this job runs ` +
          `${mode(expected)}; the stored layouts differ. Keep the guarantee, or reset the ` +
          `application's state (delete its state directory and changelog topics) to change it.`,
      );
    }
  }

  private readCheckpoint(): Checkpoint | undefined {
    const file = join(this.taskDir, 'checkpoint.json');
    if (!existsSync(file)) {
      return undefined;
    }
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Checkpoint>;
      return parsed.version === 1 && typeof parsed.offsets === 'object'
        ? (parsed as Checkpoint)
        : undefined;
    } catch {
      return undefined; // a torn or foreign file: untrusted
    }
  }

  private writeCheckpoint(): void {
    if (this.database === undefined) {
      return;
    }
    const file = join(this.taskDir, 'checkpoint.json');
    const checkpoint: Checkpoint = {
      version: 1,
      offsets: this.offsets,
      positions: this.options.carryPositions === true,
    };
    // Write then rename, so a crash leaves the old checkpoint or the new one, never half.
    writeFileSync(`${file}.tmp`, JSON.stringify(checkpoint));
    renameSync(`${file}.tmp`, file);
    this.checkpointedAt = performance.now();
    this.checkpointStale = false;
  }
}

const positionedHeaders = { [positionedChangelogHeader]: '1' };

function changeOf(record: RawRecord): StoreChange[] {
  if (record.key === null || record.key.length === 0) {
    return [];
  }
  const key = Buffer.from(record.key.buffer, record.key.byteOffset, record.key.length);
  const value =
    record.value === null
      ? null
      : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.length);
  return [{ key, value }];
}
