import type { Command } from 'commander';

import { connectionConfigFromEnv, type ConnectionConfig } from '../../operators/index.js';

/** Connection flags shared with the environment variables they override. */
export interface ConnectionFlags {
  brokers?: string;
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  tls?: boolean;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsInsecure?: boolean;
}

export function addConnectionFlags(command: Command): Command {
  return command
    .option('--brokers <list>', 'comma-separated host:port list (env REELSTREAM_BROKERS)')
    .option(
      '--sasl-mechanism <name>',
      'plain, scram-sha-256 or scram-sha-512 (env REELSTREAM_SASL_MECHANISM)',
    )
    .option('--sasl-username <name>', 'SASL user (env REELSTREAM_SASL_USERNAME)')
    .option(
      '--sasl-password <secret>',
      'SASL password; prefer env REELSTREAM_SASL_PASSWORD, flags show up in ps',
    )
    .option('--tls', 'connect with TLS (env REELSTREAM_TLS=true)')
    .option('--tls-ca-file <path>', 'PEM CA bundle (env REELSTREAM_TLS_CA_FILE)')
    .option('--tls-cert-file <path>', 'PEM client certificate (env REELSTREAM_TLS_CERT_FILE)')
    .option('--tls-key-file <path>', 'PEM client key (env REELSTREAM_TLS_KEY_FILE)')
    .option('--tls-insecure', 'do not verify the broker certificate (env REELSTREAM_TLS_INSECURE)');
}

/**
 * Flags win over the environment; both go through {@link connectionConfigFromEnv}, so the flags
 * are validated exactly like the variables the rest of the project reads.
 */
export function connectionConfigFromFlags(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionConfig {
  const overrides: Record<string, string | undefined> = {
    REELSTREAM_BROKERS: flags.brokers,
    REELSTREAM_SASL_MECHANISM: flags.saslMechanism,
    REELSTREAM_SASL_USERNAME: flags.saslUsername,
    REELSTREAM_SASL_PASSWORD: flags.saslPassword,
    REELSTREAM_TLS: flags.tls === true ? 'true' : undefined,
    REELSTREAM_TLS_CA_FILE: flags.tlsCaFile,
    REELSTREAM_TLS_CERT_FILE: flags.tlsCertFile,
    REELSTREAM_TLS_KEY_FILE: flags.tlsKeyFile,
    REELSTREAM_TLS_INSECURE: flags.tlsInsecure === true ? 'true' : undefined,
  };
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) {
      merged[name] = value;
    }
  }
  return connectionConfigFromEnv(merged);
}
