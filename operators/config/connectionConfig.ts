import { readFileSync } from 'node:fs';

import { ConfigError } from '../errors.js';

/**
 * How to reach Kafka and the schema registry. One shape for every job, test and CLI command, so
 * pointing reelstream at another cluster is a matter of environment variables.
 *
 * @category Configuration
 */
export interface ConnectionConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly sasl?: SaslConfig;
  readonly tls?: TlsConfig;
  readonly registry: RegistryConfig;
}

/** @category Configuration */
export interface SaslConfig {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** PEM contents, already read from the files named in the environment. @category Configuration */
export interface TlsConfig {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
}

/** @category Configuration */
export interface RegistryConfig {
  /** Base URL of a Confluent-compatible API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  readonly url: string;
  /** `user:password` for HTTP basic auth, when the registry needs it. */
  readonly basicAuth?: string;
}

/** Defaults match the local stack that `reelstream stack up` starts. @category Configuration */
export const defaultBrokers = '127.0.0.1:9092';
/** @category Configuration */
export const defaultRegistryUrl = 'http://127.0.0.1:8081/apis/ccompat/v7';

const saslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

/**
 * Reads the connection settings from environment variables (documented in the README):
 * `REELSTREAM_BROKERS`, `REELSTREAM_CLIENT_ID`, `REELSTREAM_SASL_MECHANISM`,
 * `REELSTREAM_SASL_USERNAME`, `REELSTREAM_SASL_PASSWORD`, `REELSTREAM_TLS`,
 * `REELSTREAM_TLS_CA_FILE`, `REELSTREAM_TLS_CERT_FILE`, `REELSTREAM_TLS_KEY_FILE`,
 * `REELSTREAM_TLS_INSECURE`, `REELSTREAM_REGISTRY_URL`, `REELSTREAM_REGISTRY_AUTH`.
 *
 * @example
 * ```ts
 * import { connectionConfigFromEnv } from 'reelstream';
 *
 * const config = connectionConfigFromEnv({ REELSTREAM_BROKERS: 'k1:9092,k2:9092' });
 * console.log(config.brokers); // ['k1:9092', 'k2:9092']
 * ```
 * @category Configuration
 */
export function connectionConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const brokers = (env['REELSTREAM_BROKERS'] ?? defaultBrokers)
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  if (brokers.length === 0) {
    throw new ConfigError('REELSTREAM_BROKERS', 'needs at least one host:port');
  }
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError('REELSTREAM_BROKERS', `"${broker}" is not host:port`);
    }
  }
  const sasl = saslFromEnv(env);
  const tls = tlsFromEnv(env);
  const registryAuth = env['REELSTREAM_REGISTRY_AUTH'];
  return {
    brokers,
    clientId: env['REELSTREAM_CLIENT_ID'] ?? 'reelstream',
    ...(sasl === undefined ? {} : { sasl }),
    ...(tls === undefined ? {} : { tls }),
    registry: {
      url: (env['REELSTREAM_REGISTRY_URL'] ?? defaultRegistryUrl).replace(/\/+$/, ''),
      ...(registryAuth === undefined ? {} : { basicAuth: registryAuth }),
    },
  };
}

function saslFromEnv(env: NodeJS.ProcessEnv): SaslConfig | undefined {
  const mechanism = env['REELSTREAM_SASL_MECHANISM']?.toLowerCase();
  if (mechanism === undefined || mechanism === '') {
    return undefined;
  }
  if (!isSaslMechanism(mechanism)) {
    throw new ConfigError(
      'REELSTREAM_SASL_MECHANISM',
      `"${mechanism}" is not one of ${saslMechanisms.join(', ')}`,
    );
  }
  const username = env['REELSTREAM_SASL_USERNAME'];
  const password = env['REELSTREAM_SASL_PASSWORD'];
  if (username === undefined || password === undefined) {
    throw new ConfigError(
      'REELSTREAM_SASL_USERNAME',
      'SASL needs both REELSTREAM_SASL_USERNAME and REELSTREAM_SASL_PASSWORD',
    );
  }
  return { mechanism, username, password };
}

function isSaslMechanism(value: string): value is SaslConfig['mechanism'] {
  return (saslMechanisms as readonly string[]).includes(value);
}

function tlsFromEnv(env: NodeJS.ProcessEnv): TlsConfig | undefined {
  const ca = env['REELSTREAM_TLS_CA_FILE'];
  const cert = env['REELSTREAM_TLS_CERT_FILE'];
  const key = env['REELSTREAM_TLS_KEY_FILE'];
  const enabled = env['REELSTREAM_TLS'] === 'true' || [ca, cert, key].some((f) => f !== undefined);
  if (!enabled) {
    return undefined;
  }
  return {
    ...(ca === undefined ? {} : { ca: readPem('REELSTREAM_TLS_CA_FILE', ca) }),
    ...(cert === undefined ? {} : { cert: readPem('REELSTREAM_TLS_CERT_FILE', cert) }),
    ...(key === undefined ? {} : { key: readPem('REELSTREAM_TLS_KEY_FILE', key) }),
    rejectUnauthorized: env['REELSTREAM_TLS_INSECURE'] !== 'true',
  };
}

function readPem(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(setting, `cannot read ${path}: ${(error as Error).message}`);
  }
}
