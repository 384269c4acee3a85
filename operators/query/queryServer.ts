import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Logger } from 'pino';

import { ConfigError, errorCodes, ReelstreamError } from '../errors.js';
import { KeyNotOwnedError, StoreUnavailableError } from './errors.js';
import type { QueryService } from './queryService.js';
import {
  decodeBytes,
  encodeBytes,
  encodeEntries,
  forwardedHeader,
  notFound,
  type ErrorBody,
} from './wireFormat.js';

/**
 * The HTTP face of a job's interactive queries (the API is in `wireFormat.ts`): a few GET
 * routes on node:http, answered by the {@link QueryService}. Lookups for keys another instance
 * owns are forwarded to it, so a client may ask any instance.
 */
export class QueryServer {
  readonly endpoint: string;
  private readonly server: Server;

  private constructor(server: Server, endpoint: string) {
    this.server = server;
    this.endpoint = endpoint;
  }

  /** Listens on `host:port` (port 0: any free port, and the endpoint names the one chosen). */
  static async listen(options: {
    endpoint: string;
    service: QueryService;
    logger: Logger | undefined;
  }): Promise<QueryServer> {
    const { host, port } = parseEndpoint(options.endpoint);
    const server = createServer((request, response) => {
      handle(options.service, request)
        .then((answer) => send(response, answer))
        .catch((error: unknown) => {
          options.logger?.warn({ err: error, url: request.url }, 'query failed');
          send(response, errorAnswer(error));
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actual = (server.address() as AddressInfo).port;
    return new QueryServer(server, `${host}:${actual}`);
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
}

async function handle(service: QueryService, request: IncomingMessage): Promise<Answer> {
  const url = new URL(request.url ?? '/', 'http://query');
  const [root, storeText, kind, keyText, ...rest] = url.pathname.split('/').slice(1);
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
    const limit = url.searchParams.get('limit');
    const lookup = {
      store,
      ...(from === null ? {} : { gte: decodeBytes(from) }),
      ...(to === null ? {} : { lt: decodeBytes(to) }),
      ...(limit === null ? {} : { limit: integer(limit) }),
    };
    if (forwarded || url.searchParams.get('scope') === 'local') {
      const answer = await service.localRange(lookup);
      const partitions = answer.partitions.map((part) => ({
        partition: part.partition,
        entries: encodeEntries(part.entries),
      }));
      return { status: 200, body: { partitions } };
    }
    return { status: 200, body: { entries: encodeEntries(await service.range(lookup)) } };
  }
  return { status: 404, body: { error: 'NO_ROUTE', message: `no route ${url.pathname}` } };
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
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
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
