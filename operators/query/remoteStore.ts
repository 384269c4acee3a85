import { partitionForKey } from '../runtime/partitioner.js';
import { QueryNotAuthorizedError, StoreUnavailableError } from './errors.js';
import { queryAccessFromEnv, type QueryAccess } from './querySecurity.js';
import { QueryTransport, type TransportAnswer } from './queryTransport.js';
import type { QueryableStore } from './storeQuery.js';
import {
  decodeBytes,
  decodeEntries,
  encodeBytes,
  errorBodyOf,
  errorOf,
  notFound,
  type RangePageBody,
} from './wireFormat.js';
import { pagedEntries } from './pagedEntries.js';

/**
 * Point lookups on a store of another job, through its query endpoints: what a serving layer
 * uses to read the one key a request needs (the requesting user's features) from the job that
 * computes it. Any instance of that job answers any key, forwarding the lookup once to the
 * owner, so the caller needs only an address, not the other job's group membership.
 *
 * Built for the hot path of a request: one attempt per endpoint within `timeoutMs` in all, and
 * every failure is a {@link StoreUnavailableError}, so the caller has one thing to catch and
 * fall back on (a refused token too: its `cause` is a {@link QueryNotAuthorizedError}, and it is
 * logged nowhere else, so the message says so). Each answer says which instance holds the key and how many partitions there
 * are, so the next lookup of a key in the same partition goes to its owner first, without the
 * forwarding hop (and the second busy event loop it waits on); a route that fails is
 * forgotten, and the given endpoints are tried as before.
 *
 * @example
 * ```ts no-run
 * import { float64Serde, RemoteStore, stringSerde } from 'reelstream';
 *
 * // Not run by the tests: it needs a job serving queries on 127.0.0.1:7071.
 * const features = new RemoteStore({
 *   endpoints: ['127.0.0.1:7071'],
 *   store: { name: 'user-features', key: stringSerde, value: float64Serde },
 *   timeoutMs: 50,
 *   // Default: REELSTREAM_QUERY_TOKEN and REELSTREAM_QUERY_TLS_* (queryAccessFromEnv).
 *   access: { token: process.env['FEATURES_QUERY_TOKEN'] ?? 'local-dev-token' },
 * });
 * const mine = await features.get('user-7'); // undefined: no such key
 * ```
 * @category Queries
 */
export class RemoteStore<TKey, TValue> {
  readonly name: string;
  private readonly endpoints: readonly string[];
  private readonly store: QueryableStore<TKey, TValue>;
  private readonly timeoutMs: number;
  private readonly transport: QueryTransport;
  /** The owner's endpoint per partition, as the last answers said. */
  private readonly owners = new Map<number, string>();
  private partitions: number | undefined;

  constructor(options: {
    endpoints: readonly string[];
    store: QueryableStore<TKey, TValue>;
    /** The whole lookup's budget, over all endpoints tried (default 100 ms). */
    timeoutMs?: number;
    /** The token and TLS of the job's endpoint. Default: from the environment. */
    access?: QueryAccess;
  }) {
    if (options.endpoints.length === 0) {
      throw new Error(`remote store ${options.store.name}: give at least one query endpoint`);
    }
    this.endpoints = options.endpoints;
    this.store = options.store;
    this.name = options.store.name;
    this.timeoutMs = options.timeoutMs ?? 100;
    this.transport = new QueryTransport(options.access ?? queryAccessFromEnv());
  }

  /** The key's value; undefined when its owner has no such key. */
  async get(key: TKey): Promise<TValue | undefined> {
    const bytes = this.store.key.serialize(key, { topic: this.name, isKey: true });
    if (bytes === null) {
      throw new Error(`remote store ${this.name}: the key serialized to null`);
    }
    const path = `/stores/${encodeURIComponent(this.name)}/keys/${encodeBytes(bytes)}`;
    const partition =
      this.partitions === undefined ? undefined : partitionForKey(bytes, this.partitions);
    const owner = partition === undefined ? undefined : this.owners.get(partition);
    const endpoints =
      owner === undefined ? this.endpoints : [owner, ...this.endpoints.filter((e) => e !== owner)];
    const value = await this.ask({
      endpoints,
      path,
      budgetMs: this.timeoutMs,
      read: (endpoint, answer) => this.valueOf(endpoint, answer),
      failed: (endpoint) => {
        if (endpoint === owner && partition !== undefined) {
          this.owners.delete(partition); // the route failed: forget it
        }
      },
    });
    return value === undefined
      ? undefined
      : this.store.value.deserialize(value, { topic: this.name, isKey: false });
  }

  /**
   * One page of a range of the job's store, over all its instances: the first `limit` entries
   * (default 1,000, at most 10,000) of [from, to) after the cursor `after`; `next`, when
   * entries remain, is the next page's cursor. Each page has `timeoutMs` (default 5 s).
   */
  async rangePage(
    bounds: { from?: TKey; to?: TKey; after?: string; limit?: number; timeoutMs?: number } = {},
  ): Promise<{ entries: [TKey, TValue][]; next: string | undefined }> {
    const query = new URLSearchParams();
    const context = { topic: this.name, isKey: true };
    for (const [name, key] of [
      ['from', bounds.from],
      ['to', bounds.to],
    ] as const) {
      const bytes = key === undefined ? null : this.store.key.serialize(key, context);
      if (bytes !== null) {
        query.set(name, encodeBytes(bytes));
      }
    }
    if (bounds.after !== undefined) {
      query.set('after', bounds.after);
    }
    if (bounds.limit !== undefined) {
      query.set('limit', String(bounds.limit));
    }
    const path = `/stores/${encodeURIComponent(this.name)}/range?${query.toString()}`;
    const page = await this.ask({
      endpoints: this.endpoints,
      path,
      budgetMs: bounds.timeoutMs ?? 5_000,
      read: (endpoint, answer) => this.pageOf(endpoint, answer),
    });
    return {
      entries: decodeEntries(page.entries).map(([key, value]) => [
        this.store.key.deserialize(key, context),
        this.store.value.deserialize(value, { topic: this.name, isKey: false }),
      ]),
      next: page.more ? page.next : undefined,
    };
  }

  /** Every entry of [from, to) in key order, a page at a time (see {@link rangePage}). */
  entries(
    bounds: { from?: TKey; to?: TKey; pageSize?: number; timeoutMs?: number } = {},
  ): AsyncGenerator<[TKey, TValue]> {
    return pagedEntries((page) => this.rangePage(page), bounds);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.transport.close();
  }

  /**
   * GETs `path` of each endpoint in turn until one answers within `budgetMs` in all; `read`
   * turns an answer into the result (throwing for an error answer), `failed` hears of each
   * endpoint that did not give one.
   */
  private async ask<TResult>(request: {
    endpoints: readonly string[];
    path: string;
    budgetMs: number;
    read: (endpoint: string, answer: TransportAnswer) => TResult;
    failed?: (endpoint: string) => void;
  }): Promise<TResult> {
    const { endpoints, path, budgetMs } = request;
    const deadline = performance.now() + budgetMs;
    let lastError: unknown;
    for (const endpoint of endpoints) {
      const left = deadline - performance.now();
      if (left <= 0) {
        break;
      }
      try {
        const answer = await this.transport.get(endpoint, path, { timeoutMs: Math.ceil(left) });
        return request.read(endpoint, answer);
      } catch (error) {
        lastError = error;
        request.failed?.(endpoint);
      }
    }
    const refused = lastError instanceof QueryNotAuthorizedError ? ` (${lastError.message})` : '';
    throw new StoreUnavailableError({
      store: this.name,
      reason: `no query endpoint answered within ${budgetMs} ms (${this.endpoints.join(', ')})${refused}`,
      cause: lastError,
    });
  }

  private valueOf(endpoint: string, answer: TransportAnswer): Buffer | undefined {
    const body = answer.body as KeyAnswer | undefined;
    if (answer.status === 200 && typeof body?.value === 'string') {
      this.learnRoute(body);
      return decodeBytes(body.value);
    }
    const error = errorBodyOf(answer);
    if (answer.status === 404 && error.error === notFound) {
      return undefined;
    }
    throw errorOf(error, this.name, endpoint);
  }

  private pageOf(endpoint: string, answer: TransportAnswer): RangePageBody {
    const body = answer.body as RangePageBody | undefined;
    if (answer.status === 200 && Array.isArray(body?.entries)) {
      return body;
    }
    throw errorOf(errorBodyOf(answer), this.name, endpoint);
  }

  private learnRoute(answer: KeyAnswer): void {
    const { partition, partitions, owner } = answer;
    if (typeof partitions !== 'number' || typeof partition !== 'number') {
      return;
    }
    if (partitions !== this.partitions) {
      this.owners.clear(); // partitions were added: every route is new
      this.partitions = partitions;
    }
    if (typeof owner === 'string') {
      this.owners.set(partition, owner);
    }
  }
}

/** A key lookup's answer, as far as routing goes (older servers leave the routing out). */
interface KeyAnswer {
  readonly value?: string;
  readonly partition?: number;
  readonly partitions?: number;
  readonly owner?: string;
}
