import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { ConfigError } from '../../../operators/index.js';

/**
 * Where the local stack keeps its downloads, data and logs, and which loopback ports it uses.
 * Every value comes from an environment variable with a documented default (deploy/local/README.md).
 */
export interface StackSettings {
  /** Downloads that survive `stack down`: Kafka jars, the registry build. */
  readonly cacheDir: string;
  /** Broker data, registry state, pid files and logs of this stack. */
  readonly stateDir: string;
  readonly host: string;
  readonly kafkaPort: number;
  readonly controllerPort: number;
  readonly registryPort: number;
  /** Milliseconds `up` waits for a service to answer before giving up. */
  readonly startTimeoutMs: number;
}

/** The repository root, found from this file's location (source or dist/). */
export const repoRoot = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  ...(isInDist() ? ['..'] : []),
);

function isInDist(): boolean {
  return import.meta.dirname.split(/[\\/]/).includes('dist');
}

export function stackSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const home = env['REELSTREAM_HOME'] ?? join(homedir(), '.cache', 'reelstream');
  return {
    cacheDir: env['REELSTREAM_CACHE_DIR'] ?? home,
    stateDir: env['REELSTREAM_STACK_DIR'] ?? join(home, 'stack'),
    host: '127.0.0.1',
    kafkaPort: port(env, 'REELSTREAM_KAFKA_PORT', 9092),
    controllerPort: port(env, 'REELSTREAM_KAFKA_CONTROLLER_PORT', 9093),
    registryPort: port(env, 'REELSTREAM_REGISTRY_PORT', 8081),
    startTimeoutMs: 1000 * positiveInt(env, 'REELSTREAM_STACK_START_TIMEOUT_S', 120),
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = positiveInt(env, name, fallback);
  if (value > 65_535) {
    throw new ConfigError(name, `${value} is not a TCP port`);
  }
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive integer`);
  }
  return value;
}
