import { partitionForKey } from '../runtime/partitioner.js';
import { StoreUnavailableError } from './errors.js';
import type { QueryableStore } from './storeQuery.js';
import { decodeBytes, encodeBytes, errorOf, notFound, type ErrorBody } from './wireFormat.js';

/**
 * Point lookups on a store of another job, through its query endpoints: what a serving layer
 * uses to read the one key a request needs (the requesting user's features) from the job that
 * computes it. Any instance of that job answers any key, forwarding the lookup once to the
 * owner, so the caller needs only an address, not the other job's group membership.
 *
 * Built for the hot path of a request: one attempt per endpoint within `timeoutMs` in all, and
 * every failure is a {@link StoreUnavailableError}, so the caller has one thing to catch and
 * fall back on. Each answer says which instance holds the key and how many partitions there
 * are, so the next lookup of a key in the same partition goes to its owner first, without the
 * forwarding hop (and the second busy event loop it waits on); a route that fails is
 * forgotten, and the given endpoints are tried as before.
 *
 * @example
 * ```ts
 * const features = new RemoteStore({
 *   endpoints: ['127.0.0.1:7071'],
 *   store: { name: 'user-features', key: stringSerde, value: userFeaturesSerde },
 *   timeoutMs: 50,
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
  /** The owner's endpoint per partition, as the last answers said. */
  private readonly owners = new Map<number, string>();
  private partitions: number | undefined;

  constructor(options: {
    endpoints: readonly string[];
    store: QueryableStore<TKey, TValue>;
    /** The whole lookup's budget, over all endpoints tried (default 100 ms). */
    timeoutMs?: number;
  }) {
    if (options.endpoints.length === 0) {
      throw new Error(`remote store ${options.store.name}: give at least one query endpoint`);
    }
    this.endpoints = options.endpoints;
    this.store = options.store;
    this.name = options.store.name;
    this.timeoutMs = options.timeoutMs ?? 100;
  }

  /** The key's value; undefined when its owner has no such key. */
  async get(key: TKey): Promise<TValue | undefined> {
    const bytes = this.store.key.serialize(key, { topic: this.name, isKey: true });
    if (bytes === null) {
      throw new Error(`remote store ${this.name}: the key serialized to null`);
    }
    const path = `/stores/${encodeURIComponent(this.name)}/keys/${encodeBytes(bytes)}`;
    const deadline = performance.now() + this.timeoutMs;
    const partition =
      this.partitions === undefined ? undefined : partitionForKey(bytes, this.partitions);
    const owner = partition === undefined ? undefined : this.owners.get(partition);
    const endpoints =
      owner === undefined ? this.endpoints : [owner, ...this.endpoints.filter((e) => e !== owner)];
    let lastError: unknown;
    for (const endpoint of endpoints) {
      const left = deadline - performance.now();
      if (left <= 0) {
        break;
      }
      try {
        const value = await this.fetchValue(`http://${endpoint}${path}`, left);
        return value === undefined
          ? undefined
          : this.store.value.deserialize(value, { topic: this.name, isKey: false });
      } catch (error) {
        lastError = error;
        if (endpoint === owner && partition !== undefined) {
          this.owners.delete(partition);
        }
      }
    }
    throw new StoreUnavailableError({
      store: this.name,
      reason: `no query endpoint answered within ${this.timeoutMs} ms (${this.endpoints.join(', ')})`,
      cause: lastError,
    });
  }

  private async fetchValue(url: string, timeoutMs: number): Promise<Buffer | undefined> {
    const response = await fetch(url, { signal: AbortSignal.timeout(Math.ceil(timeoutMs)) });
    const body = (await response.json()) as ErrorBody & KeyAnswer;
    if (response.status === 200 && typeof body.value === 'string') {
      this.learnRoute(body);
      return decodeBytes(body.value);
    }
    if (response.status === 404 && body.error === notFound) {
      return undefined;
    }
    throw errorOf(body, this.name);
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
