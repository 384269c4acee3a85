import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import type { QueryAccess } from './querySecurity.js';

/** An answer of a query server: its status and its JSON body (undefined when not JSON). */
export interface TransportAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The body as text, for an error message when it was not JSON ('' for a binary one). */
  readonly text: string;
  /** The answer's content type (`content-type`, without parameters; '' when none). */
  readonly contentType: string;
  /** The body's bytes: what a binary answer (`accept` asked for one) is read from. */
  readonly bytes: Buffer;
}

/**
 * GETs on query servers with the caller's token and, when `access.tls` says so, https with its
 * CA. node:http and node:https rather than fetch: Node's fetch takes no CA without the undici
 * package, and one code path for both schemes is one to test. Connections are kept alive per
 * transport (a keep-alive agent's idle sockets do not hold the process open).
 */
export class QueryTransport {
  private readonly scheme: 'http' | 'https';
  private readonly agent: HttpAgent;
  private readonly headers: Record<string, string>;

  constructor(access: QueryAccess = {}) {
    this.scheme = access.tls === undefined ? 'http' : 'https';
    this.agent =
      access.tls === undefined
        ? new HttpAgent({ keepAlive: true })
        : new HttpsAgent({
            keepAlive: true,
            ...(access.tls.ca === undefined ? {} : { ca: access.tls.ca }),
            rejectUnauthorized: access.tls.rejectUnauthorized ?? true,
          });
    this.headers = {
      accept: 'application/json',
      ...(access.token === undefined ? {} : { authorization: `Bearer ${access.token}` }),
    };
  }

  /** GETs `path` of `endpoint` (`host:port`); rejects when no whole answer came in `timeoutMs`. */
  get(
    endpoint: string,
    path: string,
    options: { timeoutMs: number; headers?: Record<string, string> },
  ): Promise<TransportAnswer> {
    return this.send(endpoint, path, { ...options, method: 'GET' });
  }

  /** POSTs `options.body` as JSON to `path` of `endpoint`; the same deadline as {@link get}. */
  post(
    endpoint: string,
    path: string,
    options: {
      body: unknown;
      timeoutMs: number;
      headers?: Record<string, string>;
      /** A content type the caller reads besides JSON (a server that knows it answers in it). */
      accept?: string;
    },
  ): Promise<TransportAnswer> {
    return this.send(endpoint, path, {
      method: 'POST',
      timeoutMs: options.timeoutMs,
      json: JSON.stringify(options.body),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.accept === undefined ? {} : { accept: options.accept }),
    });
  }

  private send(
    endpoint: string,
    path: string,
    options: {
      method: 'GET' | 'POST';
      timeoutMs: number;
      json?: string;
      headers?: Record<string, string>;
      accept?: string;
    },
  ): Promise<TransportAnswer> {
    const body = options.json;
    const url = `${this.scheme}://${endpoint}${path}`;
    const request = this.scheme === 'https' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(url, {
        method: options.method,
        agent: this.agent,
        headers: {
          ...this.headers,
          ...(body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(body)),
              }),
          ...options.headers,
          // Errors still come as JSON, so JSON stays acceptable.
          ...(options.accept === undefined
            ? {}
            : { accept: `${options.accept}, application/json;q=0.5` }),
        },
      });
      // One deadline for connecting, the TLS handshake and the whole body.
      const timer = setTimeout(() => {
        outgoing.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const settle = (): void => clearTimeout(timer);
      outgoing.once('error', (error) => {
        settle();
        reject(error);
      });
      outgoing.once('response', (response) => {
        readAll(response).then(
          (bytes) => {
            settle();
            const contentType = (response.headers['content-type'] ?? '').split(';')[0] ?? '';
            const binary = options.accept !== undefined && contentType.trim() === options.accept;
            const text = binary ? '' : bytes.toString('utf8');
            resolve({
              status: response.statusCode ?? 0,
              body: binary ? undefined : parse(text),
              text,
              contentType: contentType.trim(),
              bytes,
            });
          },
          (error: unknown) => {
            settle();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
      outgoing.end(body);
    });
  }

  /** Closes the idle connections (the transport still works after). */
  close(): void {
    this.agent.destroy();
  }
}

async function readAll(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
  }
  if (!response.complete) {
    throw new Error('the connection closed before the whole answer came');
  }
  return Buffer.concat(chunks);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
