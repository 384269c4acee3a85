import { StoreUnavailableError } from './errors.js';
import type { KeyLookup, RangeAnswer, RangeLookup } from './queryService.js';
import {
  decodeBytes,
  decodePartitions,
  encodeBytes,
  errorOf,
  forwardedHeader,
  notFound,
  type EntriesBody,
  type ErrorBody,
} from './wireFormat.js';

/** How long one instance waits for another's answer before calling it unavailable. */
const requestTimeoutMs = 5_000;

/**
 * Asks another instance's query server (see `wireFormat.ts`), marking each lookup as forwarded
 * so the owner answers it itself or refuses it. Connections are kept alive by fetch's pool.
 */
export class QueryClient {
  async get(
    endpoint: string,
    lookup: KeyLookup & { partition: number },
  ): Promise<Buffer | undefined> {
    const path = `/stores/${encodeURIComponent(lookup.store)}/keys/${encodeBytes(lookup.key)}`;
    const response = await this.request(endpoint, {
      store: lookup.store,
      path: `${path}?partition=${lookup.partition}`,
    });
    if (response.status === 404) {
      const body = (await response.json()) as ErrorBody;
      if (body.error === notFound) {
        return undefined;
      }
      throw errorOf(body, lookup.store);
    }
    const body = (await response.json()) as { value: string };
    return decodeBytes(body.value);
  }

  /** The entries in range of the partitions the instance at `endpoint` runs. */
  async range(endpoint: string, lookup: RangeLookup): Promise<RangeAnswer> {
    const query = new URLSearchParams({ scope: 'local' });
    if (lookup.gte !== undefined) {
      query.set('from', encodeBytes(lookup.gte));
    }
    if (lookup.lt !== undefined) {
      query.set('to', encodeBytes(lookup.lt));
    }
    if (lookup.limit !== undefined) {
      query.set('limit', String(lookup.limit));
    }
    const response = await this.request(endpoint, {
      store: lookup.store,
      path: `/stores/${encodeURIComponent(lookup.store)}/range?${query.toString()}`,
    });
    const body = (await response.json()) as {
      partitions: { partition: number; entries: EntriesBody }[];
    };
    return { partitions: decodePartitions(body.partitions) };
  }

  /** GETs `path`; resolves with a 200 or 404 response, throws the typed error of any other. */
  private async request(
    endpoint: string,
    request: { store: string; path: string },
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`http://${endpoint}${request.path}`, {
        headers: { [forwardedHeader]: '1' },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      throw new StoreUnavailableError({
        store: request.store,
        reason: `its owner at ${endpoint} did not answer`,
        cause: error,
      });
    }
    if (response.status === 200 || response.status === 404) {
      return response;
    }
    const text = await response.text();
    let body: ErrorBody;
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      body = { error: `HTTP ${response.status}`, message: text.slice(0, 200) };
    }
    throw errorOf(body, request.store);
  }
}
