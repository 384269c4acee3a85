import { ConfigError } from '../errors.js';
import { errorMessage } from '../runtime/failurePolicy.js';
import { queryAccessFromEnv, type QueryAccess } from './querySecurity.js';
import { QueryTransport } from './queryTransport.js';
import { binarySearchType } from './binarySearchBody.js';
import {
  checkSearch,
  searchRequestBody,
  searchResultOfBinary,
  searchResultOfBody,
  type SearchResultBody,
  type VectorSearchLookup,
  type VectorSearchResult,
} from './vectorSearch.js';
import { errorBodyOf, errorOf } from './wireFormat.js';

/**
 * Top-K searches of another job's vector store (its shards, one per partition, on whichever
 * instances run them), through that job's query endpoints: what a serving layer uses for
 * retrieval. Any instance searches every shard — its own, and the others' over HTTP, in
 * parallel — and merges the top K, so the caller needs only an address.
 *
 * Built for the hot path of a request: one endpoint after another within `timeoutMs` in all,
 * and **never a failure for a shard**: shards that did not answer (their owner unreachable,
 * the group rebalancing, a shard restoring or holding another model version) are listed in
 * `unavailable` and make the result `degraded`; when no endpoint answers at all, the result
 * is empty, degraded, with every shard it knows of unavailable. Only a request the job
 * refuses as malformed (unknown store, a vector of the wrong length) throws (`Error` with the
 * job's message), since asking again cannot help.
 *
 * @example
 * ```ts no-run
 * import { RemoteVectorSearch } from 'reelstream';
 *
 * // Not run by the tests: it needs the item shards job serving queries on 127.0.0.1:7072.
 * const items = new RemoteVectorSearch({ endpoints: ['127.0.0.1:7072'], store: 'item-vectors' });
 * const userVector = new Float32Array(32); // the user tower's output
 * const result = await items.search({ vector: userVector, k: 100, version: 'a429c461', exclude: [42n] });
 * if (result.degraded) {
 *   console.warn('shards missing', result.unavailable);
 * }
 * items.close();
 * ```
 * @category Queries
 */
export class RemoteVectorSearch {
  readonly store: string;
  private readonly endpoints: readonly string[];
  private readonly timeoutMs: number;
  private readonly transport: QueryTransport;
  /** The last answering endpoint, asked first next time. */
  private preferred: string | undefined;
  /** The partition count the last answer gave. */
  private partitions = 0;

  constructor(options: {
    endpoints: readonly string[];
    /** The vector store's name (its pipeline's `vectorStore({ name })`). */
    store: string;
    /** A search's budget over all endpoints tried (default 100 ms). */
    timeoutMs?: number;
    /** The token and TLS of the job's endpoint. Default: from the environment. */
    access?: QueryAccess;
  }) {
    if (options.endpoints.length === 0) {
      throw new ConfigError('query', `vector search of ${options.store}: give a query endpoint`);
    }
    this.endpoints = options.endpoints;
    this.store = options.store;
    this.timeoutMs = options.timeoutMs ?? 100;
    this.transport = new QueryTransport(options.access ?? queryAccessFromEnv());
  }

  /** The `k` nearest stored vectors over every shard that answered (see the class). */
  async search(
    lookup: Omit<VectorSearchLookup, 'store' | 'timeoutMs'>,
  ): Promise<VectorSearchResult> {
    const full = { ...lookup, store: this.store };
    checkSearch(full);
    const deadline = performance.now() + this.timeoutMs;
    const order =
      this.preferred === undefined
        ? this.endpoints
        : [this.preferred, ...this.endpoints.filter((e) => e !== this.preferred)];
    const failures: string[] = [];
    for (const endpoint of order) {
      const left = Math.floor(deadline - performance.now());
      if (left <= 0) {
        break;
      }
      // The instance fans out within most of what is left; the rest is for its answer to come back.
      const fanOut = Math.max(1, Math.floor(left * 0.8));
      let answer;
      try {
        answer = await this.transport.post(
          endpoint,
          `/stores/${encodeURIComponent(this.store)}/search`,
          {
            body: searchRequestBody(full, undefined, fanOut),
            timeoutMs: left,
            accept: binarySearchType,
          },
        );
      } catch (error) {
        failures.push(`${endpoint}: ${errorMessage(error)}`);
        if (this.preferred === endpoint) {
          this.preferred = undefined;
        }
        continue;
      }
      if (answer.status === 200) {
        let result: VectorSearchResult;
        try {
          // Binary when the job knows the format; JSON from one that does not yet.
          result =
            answer.contentType === binarySearchType
              ? searchResultOfBinary(answer.bytes)
              : searchResultOfBody(answer.body as SearchResultBody);
        } catch (error) {
          failures.push(`${endpoint}: ${errorMessage(error)}`);
          continue;
        }
        this.preferred = endpoint;
        this.partitions = result.partitions;
        return result;
      }
      const error = errorOf(errorBodyOf(answer), this.store, endpoint);
      if (answer.status === 400) {
        throw error; // the request itself is wrong: another endpoint refuses it too
      }
      failures.push(`${endpoint}: ${error.message}`);
    }
    const reason = `no query endpoint answered within ${this.timeoutMs} ms (${failures.join('; ') || 'no time left'})`;
    return {
      hits: [],
      partitions: this.partitions,
      searched: [],
      unavailable: Array.from({ length: Math.max(this.partitions, 1) }, (_, partition) => ({
        partition: this.partitions === 0 ? -1 : partition,
        reason,
      })),
      degraded: true,
      metric: undefined,
    };
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.transport.close();
  }
}
