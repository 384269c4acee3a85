import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import { ConfigError, errorCodes, ReelstreamError } from '../errors.js';
import { BearerAuth, refusal } from './bearerAuth.js';
import { KeyNotOwnedError, StoreUnavailableError } from './errors.js';
import type { QueryService } from './queryService.js';
import { isLoopback, validTokens, type QuerySecurity } from './querySecurity.js';
import { binarySearchType } from './binarySearchBody.js';
import {
  localSearchBinary,
  localSearchBody,
  lookupOfBody,
  maxSearchBodyBytes,
  searchResultBinary,
  searchResultBody,
} from './vectorSearch.js';
import {
  decodeBytes,
  encodeBytes,
  encodeEntries,
  forwardedHeader,
  notFound,
  type ErrorBody,
  type LocalRangeBody,
  type RangePageBody,
} from './wireFormat.js';

/** At most one log line per this many ms about refused requests: a scan must not flood it. */
const refusalLogIntervalMs = 60_000;

/**
 * The HTTP face of a job's interactive queries (the API is in `wireFormat.ts`): a few GET
 * routes on node:http (node:https with a certificate), answered by the {@link QueryService}.
 * Lookups for keys another instance owns are forwarded to it, so a client may ask any
 * instance. With tokens configured, every request needs one of them (`bearerAuth.ts`).
 */
export class QueryServer {
  readonly endpoint: string;
  private readonly server: Server;
  private readonly counts: { refused: number };

  private constructor(server: Server, endpoint: string, counts: { refused: number }) {
    this.server = server;
    this.endpoint = endpoint;
    this.counts = counts;
  }

  /** Requests refused for want of an accepted token. */
  get refused(): number {
    return this.counts.refused;
  }

  /**
   * Listens on `host:port` (port 0: any free port, and the endpoint names the one chosen).
   * Refuses to listen on a routable address without a token unless `allowUnauthenticated`:
   * anyone who can reach it could read every store.
   */
  static async listen(options: {
    endpoint: string;
    service: QueryService;
    logger: Logger | undefined;
    security?: QuerySecurity;
  }): Promise<QueryServer> {
    const { host, port } = parseEndpoint(options.endpoint);
    const security = options.security ?? {};
    const auth = new BearerAuth(validTokens('querySecurity.tokens', security.tokens ?? []));
    if (!auth.enabled && !isLoopback(host) && security.allowUnauthenticated !== true) {
      throw new ConfigError(
        'queryEndpoint',
        `${options.endpoint} is reachable from other machines and no query token is set: set REELSTREAM_QUERY_TOKEN (or querySecurity.tokens), or allowUnauthenticated / REELSTREAM_QUERY_ALLOW_UNAUTHENTICATED=true if something in front authenticates`,
      );
    }
    const counts = { refused: 0 };
    let lastRefusalLog = -Infinity;
    const listener: RequestListener = (request, response) => {
      const verdict = auth.check(request.headers.authorization);
      if (verdict !== 'accepted') {
        counts.refused += 1;
        if (performance.now() - lastRefusalLog >= refusalLogIntervalMs) {
          lastRefusalLog = performance.now();
          options.logger?.warn(
            { verdict, from: request.socket.remoteAddress, refused: counts.refused },
            'query refused: no accepted bearer token',
          );
        }
        send(response, refusal(verdict));
        return;
      }
      handle(options.service, request)
        .then((answer) => send(response, answer))
        .catch((error: unknown) => {
          options.logger?.warn({ err: error, url: request.url }, 'query failed');
          send(response, errorAnswer(error));
        });
    };
    const server =
      security.tls === undefined
        ? createServer(listener)
        : createHttpsServer({ cert: security.tls.cert, key: security.tls.key }, listener);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actual = (server.address() as AddressInfo).port;
    return new QueryServer(server, `${host}:${actual}`, counts);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Other instances keep connections alive; they must not hold the shutdown.
    this.server.closeAllConnections();
    await closed;
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  /** A binary search answer (`binarySearchBody.ts`), sent instead of `body`. */
  readonly raw?: Buffer;
}

/** Whether an `accept` header takes `type` (named, with a q above 0; wildcards do not count). */
function accepts(header: string | undefined, type: string): boolean {
  return (header ?? '').split(',').some((range) => {
    const [name, ...parameters] = range.split(';').map((part) => part.trim());
    if (name !== type) {
      return false;
    }
    const q = parameters.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

async function handle(service: QueryService, request: IncomingMessage): Promise<Answer> {
  const url = new URL(request.url ?? '/', 'http://query');
  const [root, storeText, kind, keyText, ...rest] = url.pathname.split('/').slice(1);
  if (
    request.method === 'POST' &&
    root === 'stores' &&
    storeText !== undefined &&
    kind === 'search' &&
    keyText === undefined
  ) {
    const lookup = lookupOfBody(decodeURIComponent(storeText), await readJson(request));
    const binary = accepts(request.headers.accept, binarySearchType);
    if (lookup.local || request.headers[forwardedHeader] === '1') {
      const answer = await service.localSearch(lookup);
      return binary
        ? { status: 200, body: undefined, raw: localSearchBinary(answer) }
        : { status: 200, body: localSearchBody(answer) };
    }
    const result = await service.search(lookup);
    return binary
      ? { status: 200, body: undefined, raw: searchResultBinary(result) }
      : { status: 200, body: searchResultBody(result) };
  }
  if (request.method !== 'GET' || root !== 'stores' || storeText === undefined) {
    return { status: 404, body: { error: 'NO_ROUTE', message: `no route ${url.pathname}` } };
  }
  const store = decodeURIComponent(storeText);
  const forwarded = request.headers[forwardedHeader] === '1';
  const partitionText = url.searchParams.get('partition');
  const partition = partitionText === null ? {} : { partition: integer(partitionText) };
  if (kind === 'keys' && keyText !== undefined && rest.length === 0) {
    const key = decodeBytes(keyText);
    const value = await service.get({ store, key, ...partition }, { forwarded });
    if (value === undefined) {
      return { status: 404, body: { error: notFound, message: 'no such key' } };
    }
    // Where the key lives, so that a client can ask its owner directly next time.
    const location = await service.locate({ store, key, ...partition });
    const owner = location.local ? service.endpoint : location.owner?.queryEndpoint;
    return {
      status: 200,
      body: {
        key: keyText,
        value: encodeBytes(value),
        partition: location.partition,
        partitions: location.partitions,
        ...(owner === undefined ? {} : { owner }),
      },
    };
  }
  if (kind === 'owners' && keyText !== undefined && rest.length === 0) {
    return {
      status: 200,
      body: await service.locate({ store, key: decodeBytes(keyText), ...partition }),
    };
  }
  if (kind === 'range' && keyText === undefined) {
    const from = url.searchParams.get('from');
    const to = url.searchParams.get('to');
    const after = url.searchParams.get('after');
    const limit = url.searchParams.get('limit');
    // The service checks the limit against the cap, whoever asks.
    const lookup = {
      store,
      ...(from === null ? {} : { gte: decodeBytes(from) }),
      ...(to === null ? {} : { lt: decodeBytes(to) }),
      ...(after === null ? {} : { after: decodeBytes(after) }),
      ...(limit === null ? {} : { limit: integer(limit) }),
    };
    if (forwarded || url.searchParams.get('scope') === 'local') {
      const answer = await service.localRange(lookup);
      const body: LocalRangeBody = {
        partitions: answer.partitions.map((part) => ({
          partition: part.partition,
          entries: encodeEntries(part.entries),
          more: part.more,
        })),
      };
      return { status: 200, body };
    }
    const page = await service.range(lookup);
    const body: RangePageBody = {
      entries: encodeEntries(page.entries),
      more: page.next !== undefined,
      ...(page.next === undefined ? {} : { next: encodeBytes(page.next) }),
    };
    return { status: 200, body };
  }
  return { status: 404, body: { error: 'NO_ROUTE', message: `no route ${url.pathname}` } };
}

/** The request's JSON body, at most {@link maxSearchBodyBytes}; a `ConfigError` otherwise. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxSearchBodyBytes) {
      throw new ConfigError('query', `a request body is at most ${maxSearchBodyBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ConfigError('query', 'the request body is not JSON');
  }
}

function errorAnswer(error: unknown): Answer {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof KeyNotOwnedError) {
    const body: ErrorBody = {
      error: error.code,
      message,
      partition: error.partition,
      owner: error.owner,
    };
    return { status: 421, body };
  }
  if (error instanceof StoreUnavailableError) {
    const body: ErrorBody = {
      error: error.code,
      message,
      ...(error.partition === undefined ? {} : { partition: error.partition }),
    };
    return { status: 503, body };
  }
  if (error instanceof ConfigError) {
    return { status: 400, body: { error: error.code, message } };
  }
  const code = error instanceof ReelstreamError ? error.code : 'INTERNAL';
  return { status: code === errorCodes.unreachable ? 503 : 500, body: { error: code, message } };
}

function send(response: ServerResponse, answer: Answer): void {
  if (answer.raw !== undefined) {
    response.writeHead(answer.status, {
      ...answer.headers,
      'content-type': binarySearchType,
      'content-length': answer.raw.length,
    });
    response.end(answer.raw);
    return;
  }
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...answer.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function integer(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError('query', `"${text}" is not a non-negative integer`);
  }
  return value;
}

function parseEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(endpoint);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new ConfigError('queryEndpoint', `"${endpoint}" is not host:port`);
  }
  return { host: match[1], port };
}
