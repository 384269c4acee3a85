import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ConfigError } from '../errors.js';
import type { JobMetrics } from './jobMetrics.js';

/**
 * A job process's monitoring endpoint: `GET /metrics` (Prometheus text format) and
 * `GET /health` (JSON; 200 while every job runs, 503 while one is starting, recovering,
 * stopping or failed), for a supervisor's liveness and readiness probes and for on-call.
 * Loopback by default, like the query endpoint; it reveals no data, only counts and states.
 *
 * @category Monitoring
 */
export class MonitoringServer {
  readonly endpoint: string;
  private readonly server: Server;

  private constructor(server: Server, endpoint: string) {
    this.server = server;
    this.endpoint = endpoint;
  }

  /** Listens on `host:port` (port 0: any free port; the endpoint names the one chosen). */
  static async listen(endpoint: string, metrics: JobMetrics): Promise<MonitoringServer> {
    const match = /^(.+):(\d+)$/.exec(endpoint);
    const port = Number(match?.[2]);
    if (match?.[1] === undefined || !Number.isInteger(port) || port > 65_535) {
      throw new ConfigError('metrics endpoint', `"${endpoint}" is not host:port`);
    }
    const host = match[1];
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/metrics') {
        metrics.registry
          .metrics()
          .then((text) => {
            response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
          })
          .catch((error: unknown) => {
            response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
          });
      } else if (path === '/health') {
        const health = metrics.health();
        response
          .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(health));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics or /health\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new ConfigError('metrics endpoint', `${endpoint} is already in use`)
            : error,
        ),
      );
      server.listen(port, host, () => resolve());
    });
    const actual = (server.address() as AddressInfo).port;
    return new MonitoringServer(server, `${host}:${actual}`);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
