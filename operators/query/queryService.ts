import type { Logger } from 'pino';

import type { GroupMember, StreamClient } from '../connectors/kafka/streamClient.js';
import { ConfigError } from '../errors.js';
import { partitionForKey } from '../runtime/partitioner.js';
import type { SubTopology, Topology } from '../runtime/topology.js';
import type { TaskStore } from '../state/taskStore.js';
import type { VectorStore } from '../vectors/vectorStore.js';
import { VectorStoreError, vectorStoreErrorCodes } from '../vectors/vectorStoreErrors.js';
import { KeyNotOwnedError, StoreUnavailableError, type KeyOwner } from './errors.js';
import { QueryClient } from './queryClient.js';
import { forwardingAccess, type QuerySecurity } from './querySecurity.js';
import { QueryServer } from './queryServer.js';
import {
  checkSearch,
  defaultSearchTimeoutMs,
  mergeHits,
  type LocalSearchAnswer,
  type ShardAnswer,
  type ShardHit,
  type UnavailableShard,
  type VectorSearchLookup,
  type VectorSearchResult,
} from './vectorSearch.js';
import { defaultRangeLimit, maxRangeLimit } from './wireFormat.js';

/** What the query service needs from the job it serves. */
export interface QueryHost {
  readonly topology: Topology;
  /** The consumer group whose assignment says who owns which task. */
  readonly groupId: string;
  readonly client: Pick<StreamClient, 'partitionCounts' | 'groupMembers'>;
  /** The task's instance of `store` when this instance runs the task (created and restored). */
  localStore(taskId: string, store: string): TaskStore | undefined;
  /** Whether the group assigned the task to this instance (it may still be restoring). */
  isAssigned(taskId: string): boolean;
  /** The task's vector store `store` when this instance runs the task and its index is open. */
  localVectorStore?(taskId: string, store: string): VectorStore | undefined;
}

/** A key as bytes, with its partition when the caller knows it better than the key bytes do. */
export interface KeyLookup {
  readonly store: string;
  readonly key: Buffer;
  /** Default: murmur2 of `key`, as Kafka's producer partitions a record with these key bytes. */
  readonly partition?: number;
}

/**
 * A page of a range lookup over the store's serialized keys: the first `limit` keys of
 * [gte, lt) that sort after `after` (the previous page's last key).
 */
export interface RangeLookup {
  readonly store: string;
  readonly gte?: Buffer;
  readonly lt?: Buffer;
  /** Exclusive: where the previous page ended. */
  readonly after?: Buffer;
  /** Default 1,000; more than 10,000 is refused (`ConfigError`). */
  readonly limit?: number;
}

/** A range lookup's answer, per partition that answered. */
export interface RangeAnswer {
  readonly partitions: readonly PartitionEntries[];
}

export interface PartitionEntries {
  readonly partition: number;
  readonly entries: readonly (readonly [Buffer, Buffer])[];
  /** The partition has more entries in range after these. */
  readonly more: boolean;
}

/** A page of a range over every partition, in key order. */
export interface RangePage {
  readonly entries: readonly (readonly [Buffer, Buffer])[];
  /** The last key of the page when entries remain: the next page's `after`. */
  readonly next: Buffer | undefined;
}

/** Where a key lives: its partition and task, and who owns that task now. */
export interface KeyLocation {
  readonly store: string;
  readonly partition: number;
  /** The partition count of the store's source topics: how a client computes a key's partition. */
  readonly partitions: number;
  readonly taskId: string;
  /** This instance owns it. */
  readonly local: boolean;
  /** The owner by the group's assignment; undefined while it rebalances. */
  readonly owner: KeyOwner | undefined;
}

/** How long a described group is trusted without a rebalance seen in between. */
const membershipTtlMs = 10_000;

/**
 * Interactive queries at the byte level: answers lookups from this instance's task stores and
 * routes the others to the instance that owns the key's partition, found in the consumer
 * group's assignment (`StreamClient.groupMembers`). The typed facade (`storeQuery.ts`) and the
 * HTTP server (`queryServer.ts`) both sit on this.
 *
 * Reads see the task's latest processed state, including writes its next commit has not made
 * durable yet (as Kafka Streams' interactive queries do); they do not wait for the task's batch
 * in flight.
 */
export class QueryService {
  private readonly host: QueryHost;
  private readonly logger: Logger | undefined;
  private readonly security: QuerySecurity;
  private readonly remote: QueryClient;
  private readonly partitions = new Map<number, Promise<number>>();
  private membership: { readonly at: number; readonly members: Promise<GroupMember[]> } | undefined;
  private server: QueryServer | undefined;

  /** `security`: the token and TLS of this instance's server, and of its forwarded lookups. */
  constructor(host: QueryHost, logger?: Logger, security: QuerySecurity = {}) {
    this.host = host;
    this.logger = logger;
    this.security = security;
    this.remote = new QueryClient(forwardingAccess(security));
  }

  /** Where this instance answers queries (its actual port when asked for port 0). */
  get endpoint(): string | undefined {
    return this.server?.endpoint;
  }

  /**
   * Serves the HTTP API on `endpoint` (`host:port`); resolves with the endpoint to advertise.
   * A routable address without a token is a `ConfigError` unless `allowUnauthenticated`.
   */
  async listen(endpoint: string): Promise<string> {
    this.server = await QueryServer.listen({
      endpoint,
      service: this,
      logger: this.logger,
      security: this.security,
    });
    return this.server.endpoint;
  }

  /** Requests the server refused for want of an accepted token, since it started. */
  get refusedRequests(): number {
    return this.server?.refused ?? 0;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
    this.remote.close();
  }

  /** Ownership may have changed (a rebalance): describe the group again on the next lookup. */
  invalidate(): void {
    this.membership = undefined;
  }

  /** The sub-topology whose tasks hold `store`, and the topic its keys are partitioned by. */
  storeInfo(store: string): { sub: SubTopology; routingTopic: string } {
    for (const sub of this.host.topology.subTopologies) {
      if (sub.stores.some((spec) => spec.name === store)) {
        const [routingTopic] = [...sub.sources.keys()].sort();
        if (routingTopic !== undefined) {
          return { sub, routingTopic };
        }
      }
    }
    const known = this.host.topology.subTopologies.flatMap((s) => s.stores.map((t) => t.name));
    throw new ConfigError(
      'query',
      `the job has no state store "${store}" (its stores: ${known.join(', ') || 'none'})`,
    );
  }

  /** Where a key lives: its partition, its task, and the instance that owns it. */
  async locate(lookup: KeyLookup): Promise<KeyLocation> {
    const { sub } = this.storeInfo(lookup.store);
    const partition = await this.partitionOf(sub, lookup);
    const partitions = await this.partitionCount(sub);
    const taskId = `${sub.id}_${partition}`;
    const local = this.host.localStore(taskId, lookup.store) !== undefined;
    const owner = local ? undefined : await this.ownerOf(sub, partition);
    return { store: lookup.store, partition, partitions, taskId, local, owner };
  }

  /**
   * The value of a key: from the local task, or from the owner over HTTP. `forwarded`: the
   * lookup came from another instance, so it is answered here or refused with the owner, never
   * forwarded again (two instances with different views of the group must not bounce it).
   */
  async get(lookup: KeyLookup, options: { forwarded?: boolean } = {}): Promise<Buffer | undefined> {
    for (let attempt = 0; ; attempt++) {
      const location = await this.locate(lookup);
      const { partition, taskId } = location;
      const store = this.host.localStore(taskId, lookup.store);
      if (store !== undefined) {
        return readLocal(lookup, () => store.get(lookup.key), partition);
      }
      if (this.host.isAssigned(taskId)) {
        throw new StoreUnavailableError({
          store: lookup.store,
          partition,
          reason: 'assigned to this instance, still restoring',
        });
      }
      const owner = location.owner;
      if (owner === undefined) {
        throw new StoreUnavailableError({
          store: lookup.store,
          partition,
          reason: 'no instance owns it (the group is rebalancing)',
        });
      }
      const stale = owner.queryEndpoint !== undefined && owner.queryEndpoint === this.endpoint;
      if (options.forwarded === true || owner.queryEndpoint === undefined || stale) {
        if (attempt === 0 && stale) {
          this.invalidate(); // the group says it is ours but no task runs here: look again
          continue;
        }
        throw new KeyNotOwnedError({ store: lookup.store, partition, owner });
      }
      try {
        return await this.remote.get(owner.queryEndpoint, { ...lookup, partition });
      } catch (error) {
        if (attempt === 0 && error instanceof KeyNotOwnedError) {
          this.invalidate(); // the owner moved since the group was described
          continue;
        }
        throw error;
      }
    }
  }

  /** Up to `limit` entries in range of each partition this instance runs. */
  async localRange(lookup: RangeLookup): Promise<RangeAnswer> {
    const { sub } = this.storeInfo(lookup.store);
    const limit = rangeLimit(lookup.limit);
    const count = await this.partitionCount(sub);
    const start = startOf(lookup);
    const answers: PartitionEntries[] = [];
    for (let partition = 0; partition < count; partition++) {
      const store = this.host.localStore(`${sub.id}_${partition}`, lookup.store);
      if (store === undefined) {
        continue;
      }
      const entries: (readonly [Buffer, Buffer])[] = [];
      await readLocal(
        lookup,
        async () => {
          // One more than the page: whether it is there says if the partition has more.
          const bounds = {
            ...(start === undefined ? {} : { gte: start }),
            ...(lookup.lt === undefined ? {} : { lt: lookup.lt }),
            limit: limit + 1,
          };
          for await (const entry of store.range(bounds)) {
            entries.push(entry);
          }
        },
        partition,
      );
      const more = entries.length > limit;
      answers.push({ partition, entries: more ? entries.slice(0, limit) : entries, more });
    }
    return { partitions: answers };
  }

  /**
   * A page of the entries in range over every partition: this instance's, and each other
   * owner's over HTTP, merged in key order. Each partition answers its first `limit` keys, so
   * the page's `limit` smallest are among them. Fails (retriable) when a partition has no
   * owner that answers.
   */
  async range(lookup: RangeLookup): Promise<RangePage> {
    const { sub } = this.storeInfo(lookup.store);
    const limit = rangeLimit(lookup.limit);
    const count = await this.partitionCount(sub);
    const answered = new Map<number, PartitionEntries>();
    for (const part of (await this.localRange(lookup)).partitions) {
      answered.set(part.partition, part);
    }
    const missing = range(count).filter((p) => !answered.has(p));
    if (missing.length > 0) {
      const endpoints = new Set<string>();
      for (const partition of missing) {
        const owner = await this.ownerOf(sub, partition);
        if (owner === undefined || owner.queryEndpoint === this.endpoint) {
          continue; // no owner, or one that is still restoring here: unavailable below
        }
        if (owner.queryEndpoint === undefined) {
          throw new KeyNotOwnedError({ store: lookup.store, partition, owner });
        }
        endpoints.add(owner.queryEndpoint);
      }
      const answers = await Promise.all(
        [...endpoints].map((endpoint) => this.remote.range(endpoint, { ...lookup, limit })),
      );
      for (const part of answers.flatMap((answer) => answer.partitions)) {
        if (!answered.has(part.partition)) {
          answered.set(part.partition, part);
        }
      }
    }
    const unanswered = range(count).filter((p) => !answered.has(p));
    if (unanswered.length > 0) {
      this.invalidate();
      throw new StoreUnavailableError({
        store: lookup.store,
        reason: `partitions ${unanswered.join(', ')} have no instance that answered (rebalancing or restoring)`,
      });
    }
    const parts = [...answered.values()];
    const merged = parts.flatMap((part) => part.entries).sort((a, b) => Buffer.compare(a[0], b[0]));
    const entries = merged.slice(0, limit);
    // A partition that had more returned `limit` entries, so the merge is full whenever it did.
    const more = merged.length > limit || parts.some((part) => part.more);
    return { entries, next: more ? entries.at(-1)?.[0] : undefined };
  }

  /**
   * Searches the shards of vector store `lookup.store` this instance runs (each its `k` nearest
   * not in `exclude`). A shard assigned here but still restoring, or holding another model
   * version, is listed as unavailable; shards of other instances are not mentioned.
   */
  async localSearch(lookup: VectorSearchLookup): Promise<LocalSearchAnswer> {
    checkSearch(lookup);
    const { sub } = this.storeInfo(lookup.store);
    if (lookup.attach !== undefined && this.storeInfo(lookup.attach).sub.id !== sub.id) {
      throw new ConfigError(
        'query',
        `store ${lookup.attach} is not kept by the tasks of ${lookup.store}: it cannot be attached`,
      );
    }
    const count = await this.partitionCount(sub);
    const excluded = new Set(lookup.exclude ?? []);
    const shards: ShardAnswer[] = [];
    const unavailable: UnavailableShard[] = [];
    let metric: LocalSearchAnswer['metric'];
    for (let partition = 0; partition < count; partition++) {
      const taskId = `${sub.id}_${partition}`;
      const vectors = this.host.localVectorStore?.(taskId, lookup.store);
      if (vectors === undefined) {
        if (this.host.isAssigned(taskId)) {
          unavailable.push({ partition, reason: 'assigned to this instance, still restoring' });
        }
        continue;
      }
      metric = vectors.metric;
      try {
        // Asks for k more than it returns per excluded id, so k remain after they are dropped.
        const ask = lookup.k + excluded.size;
        const found = vectors.search(lookup.vector, ask, {
          version: lookup.version,
          ...(lookup.nprobe === undefined ? {} : { nprobe: lookup.nprobe }),
          ...(lookup.efSearch === undefined ? {} : { efSearch: lookup.efSearch }),
        });
        const hits = found
          .filter((hit) => !excluded.has(hit.id))
          .slice(0, lookup.k)
          // Literals, not spreads: hundreds of hits a search.
          .map((hit): ShardHit => ({ id: hit.id, distance: hit.distance, partition }));
        shards.push({ partition, size: vectors.size, hits });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof ConfigError) {
          throw error;
        }
        if (vectorSearchRefused(error)) {
          throw new ConfigError('query', `store ${lookup.store}: ${message}`);
        }
        unavailable.push({ partition, reason: message });
      }
    }
    // Only this instance's k best can be among the k best of all: the others need no value,
    // and are not sent (the merge stays exact; the attach store is read k times, not k a shard).
    const best = new Set(mergeHits(metric, shards, lookup.k));
    const answers: ShardAnswer[] = [];
    for (const shard of shards) {
      const kept = shard.hits.filter((hit) => best.has(hit));
      try {
        answers.push({
          ...shard,
          hits: await this.attach(lookup.attach, `${sub.id}_${shard.partition}`, kept),
        });
      } catch (error) {
        unavailable.push({ partition: shard.partition, reason: messageOf(error) });
      }
    }
    return { metric, shards: answers, unavailable };
  }

  /** The hits with the `attach` store's value for each id, read from the partition's task. */
  private async attach(
    attach: string | undefined,
    taskId: string,
    hits: readonly ShardHit[],
  ): Promise<ShardHit[]> {
    if (attach === undefined) {
      return [...hits];
    }
    const store = this.host.localStore(taskId, attach);
    if (store === undefined) {
      throw new Error(`store ${attach} is not open here (the task closed)`);
    }
    // A search attaches a value to each of up to k hits (a thousand in the serving job's
    // retrieval): the cached ones are read in this loop, and only the misses wait for RocksDB.
    // A promise per hit was the largest cost of a search, larger than FAISS's.
    const attached: ShardHit[] = [];
    const misses: Promise<void>[] = [];
    hits.forEach((hit, i) => {
      // Decimal digits are ASCII: the key's UTF-8 bytes read as latin1 are the digits
      // themselves, so the cache is asked without making the bytes (only a miss needs them).
      const id = String(hit.id);
      const cached = store.peekId(id);
      if (cached === undefined) {
        attached.push(hit);
        misses.push(
          store.get(Buffer.from(id, 'latin1')).then((value) => {
            attached[i] = withValue(hit, value);
          }),
        );
      } else {
        attached.push(withValue(hit, cached ?? undefined));
      }
    });
    await Promise.all(misses);
    return attached;
  }

  /**
   * Searches every shard of vector store `lookup.store` — this instance's, and each other
   * owner's over HTTP, in parallel — and merges the top `k`. Never fails for a shard: one that
   * has no owner, is restoring, holds another model version or whose owner does not answer
   * within the budget is listed in `unavailable`, and the result is `degraded`.
   */
  async search(lookup: VectorSearchLookup): Promise<VectorSearchResult> {
    checkSearch(lookup);
    const deadline = performance.now() + (lookup.timeoutMs ?? defaultSearchTimeoutMs);
    const { sub } = this.storeInfo(lookup.store);
    const count = await this.partitionCount(sub);
    const local = await this.localSearch(lookup);
    let metric = local.metric;
    const answered = new Map<number, ShardAnswer>(local.shards.map((s) => [s.partition, s]));
    const unavailable = new Map<number, string>(
      local.unavailable.map((u) => [u.partition, u.reason]),
    );
    const byEndpoint = new Map<string, number[]>();
    for (let partition = 0; partition < count; partition++) {
      if (answered.has(partition) || unavailable.has(partition)) {
        continue;
      }
      let owner: KeyOwner | undefined;
      try {
        owner = await this.ownerOf(sub, partition);
      } catch (error) {
        unavailable.set(partition, `the consumer group could not be described: ${String(error)}`);
        continue;
      }
      if (owner === undefined) {
        unavailable.set(partition, 'no instance owns it (the group is rebalancing)');
      } else if (owner.queryEndpoint === undefined) {
        unavailable.set(partition, `its owner ${owner.memberId} advertises no query endpoint`);
      } else if (owner.queryEndpoint === this.endpoint) {
        unavailable.set(partition, 'the group assigned it here, but no task runs it yet');
      } else {
        byEndpoint.set(owner.queryEndpoint, [
          ...(byEndpoint.get(owner.queryEndpoint) ?? []),
          partition,
        ]);
      }
    }
    const left = Math.max(1, Math.floor(deadline - performance.now()));
    const remote = await Promise.all(
      [...byEndpoint].map(async ([endpoint, partitions]) => {
        try {
          return { endpoint, partitions, answer: await this.remote.search(endpoint, lookup, left) };
        } catch (error) {
          return { endpoint, partitions, error };
        }
      }),
    );
    for (const reply of remote) {
      if ('error' in reply) {
        const reason = `its owner at ${reply.endpoint} did not answer: ${messageOf(reply.error)}`;
        for (const partition of reply.partitions) {
          unavailable.set(partition, reason);
        }
        continue;
      }
      metric ??= reply.answer.metric;
      for (const shard of reply.answer.shards) {
        if (!answered.has(shard.partition)) {
          answered.set(shard.partition, shard);
          unavailable.delete(shard.partition);
        }
      }
      for (const shard of reply.answer.unavailable) {
        if (!answered.has(shard.partition)) {
          unavailable.set(shard.partition, `at ${reply.endpoint}: ${shard.reason}`);
        }
      }
      for (const partition of reply.partitions) {
        if (!answered.has(partition) && !unavailable.has(partition)) {
          unavailable.set(partition, `its owner at ${reply.endpoint} does not run it (moved)`);
        }
      }
    }
    if (unavailable.size > 0) {
      this.invalidate(); // ownership may have moved: describe the group again next time
    }
    const shards = [...answered.values()].sort((a, b) => a.partition - b.partition);
    return {
      hits: mergeHits(metric, shards, lookup.k),
      partitions: count,
      searched: shards.map((s) => s.partition),
      unavailable: [...unavailable]
        .sort(([a], [b]) => a - b)
        .map(([partition, reason]) => ({ partition, reason })),
      degraded: unavailable.size > 0,
      metric,
    };
  }

  /** The partition of a key whose bytes as written to the store's source topic are `routingKey`. */
  async partitionFor(store: string, routingKey: Uint8Array): Promise<number> {
    return partitionForKey(routingKey, await this.partitionCount(this.storeInfo(store).sub));
  }

  private async partitionOf(sub: SubTopology, lookup: KeyLookup): Promise<number> {
    const count = await this.partitionCount(sub);
    const partition = lookup.partition ?? partitionForKey(lookup.key, count);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new ConfigError('query', `partition ${partition} is not one of 0..${count - 1}`);
    }
    return partition;
  }

  /** The partition count of the sub-topology's source topics (equal: the job checked at start). */
  private partitionCount(sub: SubTopology): Promise<number> {
    let count = this.partitions.get(sub.id);
    if (count === undefined) {
      const topics = [...sub.sources.keys()];
      count = this.host.client.partitionCounts(topics).then((counts) => {
        const found = topics.map((t) => counts.get(t)).find((n) => n !== undefined);
        if (found === undefined) {
          throw new StoreUnavailableError({ store: topics.join(', '), reason: 'topics not found' });
        }
        return found;
      });
      count.catch(() => this.partitions.delete(sub.id));
      this.partitions.set(sub.id, count);
    }
    return count;
  }

  /** The member assigned the task's partition, by the group's last known assignment. */
  private async ownerOf(sub: SubTopology, partition: number): Promise<KeyOwner | undefined> {
    const topics = [...sub.sources.keys()].sort();
    const members = await this.members();
    // Every source topic of a task has the same partition; the first topic decides.
    for (const topic of topics) {
      const owner = members.find((m) => m.assignment.get(topic)?.includes(partition) === true);
      if (owner !== undefined) {
        return {
          memberId: owner.memberId,
          clientId: owner.clientId,
          clientHost: owner.clientHost,
          queryEndpoint: owner.queryEndpoint,
        };
      }
    }
    return undefined;
  }

  private members(): Promise<GroupMember[]> {
    const now = Date.now();
    if (this.membership === undefined || now - this.membership.at > membershipTtlMs) {
      const members = this.host.client.groupMembers(this.host.groupId);
      members.catch(() => this.invalidate());
      this.membership = { at: now, members };
    }
    return this.membership.members;
  }
}

/** Reads a local store; a store closed under the read (its task moved away) is unavailable. */
async function readLocal<TResult>(
  lookup: { store: string },
  read: () => Promise<TResult>,
  partition: number,
): Promise<TResult> {
  try {
    return await read();
  } catch (error) {
    throw new StoreUnavailableError({
      store: lookup.store,
      partition,
      reason: 'the task closed during the read (rebalance)',
      cause: error,
    });
  }
}

/** The page size asked for, checked against the cap. */
export function rangeLimit(limit: number | undefined): number {
  if (limit === undefined) {
    return defaultRangeLimit;
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxRangeLimit) {
    throw new ConfigError(
      'query',
      `a range limit is 1..${maxRangeLimit} entries a page (${limit} asked); page on with after=<next>`,
    );
  }
  return limit;
}

/**
 * Where a page starts: `gte`, or the first key after `after` if that is later. The first key
 * after k in byte order is k followed by a zero byte, so the bound is exact.
 */
function startOf(lookup: RangeLookup): Buffer | undefined {
  const after =
    lookup.after === undefined ? undefined : Buffer.concat([lookup.after, Buffer.alloc(1)]);
  if (after === undefined || lookup.gte === undefined) {
    return after ?? lookup.gte;
  }
  return Buffer.compare(after, lookup.gte) > 0 ? after : lookup.gte;
}

/** A search the shard refuses for the request's own fault (a vector of the wrong length). */
function vectorSearchRefused(error: unknown): boolean {
  return error instanceof VectorStoreError && error.code === vectorStoreErrorCodes.invalidVector;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** The hit with the attach store's value for its id, or as it was when the store has none. */
function withValue(hit: ShardHit, value: Buffer | undefined): ShardHit {
  return value === undefined
    ? hit
    : { id: hit.id, distance: hit.distance, partition: hit.partition, value };
}
