import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { exitCodes } from './exitCodes.js';
import { LagError } from './lagErrors.js';
import type { LagMonitor } from './lagMonitor.js';
import { OutageLog } from './outageLog.js';
import { LagMetrics, serveMetrics } from './prometheusExporter.js';

/**
 * `--prometheus`: serve /metrics and look at the cluster every interval until stopped. A look
 * that fails (broker down, restarting, hung) drops every lag series and sets
 * `reelstream_lag_up 0`, logs one line, and the loop goes on: the exporter resumes by itself when
 * the cluster answers. Only a port that cannot be bound ends it, with the usage exit code.
 */
export async function runExporter(
  monitor: LagMonitor,
  options: { port: number; intervalMs: number; clusterName: string; stop: AbortSignal },
): Promise<number> {
  const metrics = new LagMetrics(options.clusterName);
  let server: Server;
  try {
    server = await serveMetrics(metrics, options.port);
  } catch (error) {
    process.stderr.write(
      `error: cannot serve metrics on port ${options.port}: ${listenFailure(error)}\n`,
    );
    return exitCodes.usage;
  }
  process.stderr.write(`serving http://0.0.0.0:${options.port}/metrics\n`);
  const outage = new OutageLog(options.intervalMs);
  while (!options.stop.aborted) {
    const started = performance.now();
    try {
      metrics.update(await monitor.look(), (performance.now() - started) / 1000);
      const back = outage.succeeded(Date.now());
      if (back !== undefined) {
        process.stderr.write(`${back}\n`);
      }
    } catch (error) {
      if (!(error instanceof LagError)) {
        throw error;
      }
      metrics.unreachable();
      process.stderr.write(`${outage.failed(error.message, Date.now())}\n`);
    }
    await sleep(options.intervalMs, undefined, { signal: options.stop }).catch(() => undefined);
  }
  await new Promise((resolve) => server.close(resolve));
  return exitCodes.ok;
}

function listenFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return 'the port is already in use (another exporter running?); choose another with --prometheus <port>';
  }
  if (code === 'EACCES') {
    return 'permission denied (ports below 1024 need privileges)';
  }
  return error instanceof Error ? error.message : String(error);
}
