import { readFileSync } from 'node:fs';

import { ConfigError } from '../errors.js';

/**
 * How a job's query endpoint is protected: a shared bearer token that every caller (the other
 * instances, `RemoteStore`s, curl) sends as `Authorization: Bearer <token>`, and optionally
 * https. The StreamJob option `querySecurity`; absent, {@link querySecurityFromEnv}.
 *
 * @category Queries
 */
export interface QuerySecurity {
  /**
   * The tokens the server accepts; the first is the one this instance sends when it forwards
   * a lookup. Two during a rotation (see docs/framework.md). Empty or absent: no
   * authentication, which only a loopback endpoint or `allowUnauthenticated` permits.
   */
  readonly tokens?: readonly string[];
  /** Serve https with this certificate and key (PEM contents). */
  readonly tls?: QueryServerTls;
  /** Start on a routable address without a token (behind a proxy that authenticates). */
  readonly allowUnauthenticated?: boolean;
}

/** @category Queries */
export interface QueryServerTls {
  readonly cert: string;
  readonly key: string;
  /** The CA the other instances' certificates are checked against; absent: the system's CAs. */
  readonly ca?: string;
}

/**
 * How a client reaches a query endpoint: the token to send, and whether to speak https (and
 * which CA to trust). The `RemoteStore` option `access`; absent, {@link queryAccessFromEnv}.
 *
 * @category Queries
 */
export interface QueryAccess {
  readonly token?: string;
  readonly tls?: QueryClientTls;
}

/** @category Queries */
export interface QueryClientTls {
  /** PEM; absent: the system's CAs. For a self-signed certificate, the certificate itself. */
  readonly ca?: string;
  /** Default true. False skips the certificate check (a test, never production). */
  readonly rejectUnauthorized?: boolean;
}

/** RFC 6750's token characters; a token with others could not travel in the header. */
const tokenPattern = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Shorter tokens are guessable; `openssl rand -hex 32` gives 64 characters. */
const minTokenLength = 16;

/**
 * The server side from the environment: `REELSTREAM_QUERY_TOKEN` (comma-separated during a
 * rotation) or `REELSTREAM_QUERY_TOKEN_FILE` (a mounted secret; first line), https with
 * `REELSTREAM_QUERY_TLS_CERT_FILE` and `REELSTREAM_QUERY_TLS_KEY_FILE` (and
 * `REELSTREAM_QUERY_TLS_CA_FILE` to check the other instances), and
 * `REELSTREAM_QUERY_ALLOW_UNAUTHENTICATED=true`. Named like the Kafka settings of
 * `connectionConfigFromEnv`, with QUERY in them.
 *
 * @category Queries
 */
export function querySecurityFromEnv(env: NodeJS.ProcessEnv = process.env): QuerySecurity {
  const tokens = tokensFromEnv(env);
  const cert = env['REELSTREAM_QUERY_TLS_CERT_FILE'];
  const key = env['REELSTREAM_QUERY_TLS_KEY_FILE'];
  const ca = env['REELSTREAM_QUERY_TLS_CA_FILE'];
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      'REELSTREAM_QUERY_TLS_CERT_FILE',
      'https needs both REELSTREAM_QUERY_TLS_CERT_FILE and REELSTREAM_QUERY_TLS_KEY_FILE',
    );
  }
  const allow = env['REELSTREAM_QUERY_ALLOW_UNAUTHENTICATED'];
  return {
    ...(tokens.length === 0 ? {} : { tokens }),
    ...(cert === undefined || key === undefined
      ? {}
      : {
          tls: {
            cert: readSettingFile('REELSTREAM_QUERY_TLS_CERT_FILE', cert),
            key: readSettingFile('REELSTREAM_QUERY_TLS_KEY_FILE', key),
            ...(ca === undefined
              ? {}
              : { ca: readSettingFile('REELSTREAM_QUERY_TLS_CA_FILE', ca) }),
          },
        }),
    ...(allow === undefined ? {} : { allowUnauthenticated: allow === 'true' }),
  };
}

/**
 * The client side from the environment: the first token of `REELSTREAM_QUERY_TOKEN(_FILE)`,
 * and https when `REELSTREAM_QUERY_TLS=true` or a CA file, certificate or key is named
 * (`REELSTREAM_QUERY_TLS_CA_FILE` is trusted; `REELSTREAM_QUERY_TLS_INSECURE=true` skips the
 * check).
 *
 * @category Queries
 */
export function queryAccessFromEnv(env: NodeJS.ProcessEnv = process.env): QueryAccess {
  const [token] = tokensFromEnv(env);
  const ca = env['REELSTREAM_QUERY_TLS_CA_FILE'];
  const tls =
    env['REELSTREAM_QUERY_TLS'] === 'true' ||
    ca !== undefined ||
    env['REELSTREAM_QUERY_TLS_CERT_FILE'] !== undefined;
  return {
    ...(token === undefined ? {} : { token }),
    ...(tls
      ? {
          tls: {
            ...(ca === undefined
              ? {}
              : { ca: readSettingFile('REELSTREAM_QUERY_TLS_CA_FILE', ca) }),
            rejectUnauthorized: env['REELSTREAM_QUERY_TLS_INSECURE'] !== 'true',
          },
        }
      : {}),
  };
}

/** What an instance sends when it forwards a lookup to another instance of its job. */
export function forwardingAccess(security: QuerySecurity): QueryAccess {
  const token = security.tokens?.[0];
  const ca = security.tls?.ca;
  return {
    ...(token === undefined ? {} : { token }),
    ...(security.tls === undefined ? {} : { tls: ca === undefined ? {} : { ca } }),
  };
}

/** Checks the tokens: the error names the setting, never the token. */
export function validTokens(setting: string, tokens: readonly string[]): readonly string[] {
  for (const [index, token] of tokens.entries()) {
    if (token.length < minTokenLength || !tokenPattern.test(token)) {
      throw new ConfigError(
        setting,
        `token ${index + 1} must be at least ${minTokenLength} characters of A-Z a-z 0-9 - . _ ~ + / (e.g. openssl rand -hex 32)`,
      );
    }
  }
  return tokens;
}

/**
 * Whether `host` only answers this machine. Any other name may resolve to a routable address,
 * so only the literal loopback forms count.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

function tokensFromEnv(env: NodeJS.ProcessEnv): readonly string[] {
  const file = env['REELSTREAM_QUERY_TOKEN_FILE'];
  const setting = file === undefined ? 'REELSTREAM_QUERY_TOKEN' : 'REELSTREAM_QUERY_TOKEN_FILE';
  const text =
    file === undefined
      ? env['REELSTREAM_QUERY_TOKEN']
      : (readSettingFile('REELSTREAM_QUERY_TOKEN_FILE', file).split('\n')[0] ?? '');
  const tokens = (text ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
  return validTokens(setting, tokens);
}

function readSettingFile(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(setting, `cannot read ${path}: ${(error as Error).message}`);
  }
}
