import { StoreUnavailableError } from './errors.js';
import type { KeyLookup, RangeAnswer, RangeLookup } from './queryService.js';
import type { QueryAccess } from './querySecurity.js';
import { binarySearchType } from './binarySearchBody.js';
import { QueryTransport, type TransportAnswer } from './queryTransport.js';
import {
  localSearchOfBinary,
  localSearchOfBody,
  searchRequestBody,
  type LocalSearchAnswer,
  type LocalSearchBody,
  type VectorSearchLookup,
} from './vectorSearch.js';
import {
  decodeBytes,
  decodePartitions,
  encodeBytes,
  errorBodyOf,
  errorOf,
  forwardedHeader,
  notFound,
  type LocalRangeBody,
} from './wireFormat.js';

/** How long one instance waits for another's answer before calling it unavailable. */
const requestTimeoutMs = 5_000;

/**
 * Asks another instance's query server (see `wireFormat.ts`), marking each lookup as forwarded
 * so the owner answers it itself or refuses it. It sends this job's token, over https when the
 * job serves https.
 */
export class QueryClient {
  private readonly transport: QueryTransport;

  constructor(access: QueryAccess = {}) {
    this.transport = new QueryTransport(access);
  }

  async get(
    endpoint: string,
    lookup: KeyLookup & { partition: number },
  ): Promise<Buffer | undefined> {
    const path = `/stores/${encodeURIComponent(lookup.store)}/keys/${encodeBytes(lookup.key)}`;
    const answer = await this.request(endpoint, {
      store: lookup.store,
      path: `${path}?partition=${lookup.partition}`,
    });
    if (answer.status === 404) {
      const body = errorBodyOf(answer);
      if (body.error === notFound) {
        return undefined;
      }
      throw errorOf(body, lookup.store, endpoint);
    }
    return decodeBytes((answer.body as { value: string }).value);
  }

  /** A page of the entries in range of each partition the instance at `endpoint` runs. */
  async range(endpoint: string, lookup: RangeLookup & { limit: number }): Promise<RangeAnswer> {
    const query = new URLSearchParams({ scope: 'local', limit: String(lookup.limit) });
    if (lookup.gte !== undefined) {
      query.set('from', encodeBytes(lookup.gte));
    }
    if (lookup.lt !== undefined) {
      query.set('to', encodeBytes(lookup.lt));
    }
    if (lookup.after !== undefined) {
      query.set('after', encodeBytes(lookup.after));
    }
    const answer = await this.request(endpoint, {
      store: lookup.store,
      path: `/stores/${encodeURIComponent(lookup.store)}/range?${query.toString()}`,
    });
    if (answer.status !== 200) {
      throw errorOf(errorBodyOf(answer), lookup.store, endpoint);
    }
    return { partitions: decodePartitions(answer.body as LocalRangeBody, lookup.limit) };
  }

  /**
   * The shards of a vector store the instance at `endpoint` runs, searched there; rejects when
   * it does not answer within `timeoutMs` or answers with an error.
   */
  async search(
    endpoint: string,
    lookup: VectorSearchLookup,
    timeoutMs: number,
  ): Promise<LocalSearchAnswer> {
    const answer = await this.transport.post(
      endpoint,
      `/stores/${encodeURIComponent(lookup.store)}/search`,
      {
        body: searchRequestBody(lookup, 'local'),
        timeoutMs,
        headers: { [forwardedHeader]: '1' },
        accept: binarySearchType,
      },
    );
    if (answer.status !== 200) {
      throw errorOf(errorBodyOf(answer), lookup.store, endpoint);
    }
    // Binary when the instance knows the format; JSON from one that does not yet.
    return answer.contentType === binarySearchType
      ? localSearchOfBinary(answer.bytes)
      : localSearchOfBody(answer.body as LocalSearchBody);
  }

  close(): void {
    this.transport.close();
  }

  /** GETs `path`; resolves with a 200 or 404 answer, throws the typed error of any other. */
  private async request(
    endpoint: string,
    request: { store: string; path: string },
  ): Promise<TransportAnswer> {
    let answer: TransportAnswer;
    try {
      answer = await this.transport.get(endpoint, request.path, {
        timeoutMs: requestTimeoutMs,
        headers: { [forwardedHeader]: '1' },
      });
    } catch (error) {
      throw new StoreUnavailableError({
        store: request.store,
        reason: `its owner at ${endpoint} did not answer`,
        cause: error,
      });
    }
    if (answer.status === 200 || answer.status === 404) {
      return answer;
    }
    throw errorOf(errorBodyOf(answer), request.store, endpoint);
  }
}
