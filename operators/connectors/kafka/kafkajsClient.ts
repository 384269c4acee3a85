import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type SASLOptions } from 'kafkajs';

import { trackedSocketFactory, type SocketOwner } from './trackedSockets.js';
import type { ConnectionConfig, SaslConfig } from '../../config/connectionConfig.js';

/**
 * Builds a kafkajs client from reelstream's {@link ConnectionConfig}. kafkajs is the user's
 * choice but unmaintained since 2023, so it is confined to `operators/connectors/kafka/`: the rest
 * of the framework talks to the small client interface defined here and in later modules.
 *
 * @example
 * ```ts
 * const kafka = createKafkaJs(connectionConfigFromEnv(), { clientId: 'lag-monitor' });
 * const admin = kafka.admin();
 * ```
 * @category Connectors
 */
export function createKafkaJs(
  config: ConnectionConfig,
  options: { clientId?: string; quiet?: boolean } = {},
): Kafka {
  const kafkaConfig: KafkaConfig = {
    brokers: [...config.brokers],
    clientId: options.clientId ?? config.clientId,
    // kafkajs logs every retried connection at ERROR; callers report failures themselves.
    logLevel: options.quiet === false ? logLevel.WARN : logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    socketFactory: trackedSocketFactory(),
    ...(config.sasl === undefined ? {} : { sasl: toKafkaJsSasl(config.sasl) }),
    ...(config.tls === undefined
      ? {}
      : {
          ssl: {
            rejectUnauthorized: config.tls.rejectUnauthorized,
            ...(config.tls.ca === undefined ? {} : { ca: [config.tls.ca] }),
            ...(config.tls.cert === undefined ? {} : { cert: config.tls.cert }),
            ...(config.tls.key === undefined ? {} : { key: config.tls.key }),
          },
        }),
  };
  const kafka = new Kafka(kafkaConfig);
  withOwnSockets.set(kafka, (socketFactory) => new Kafka({ ...kafkaConfig, socketFactory }));
  return kafka;
}

/** For each kafkajs instance built here: the same configuration with a socket factory of its own. */
const withOwnSockets = new WeakMap<Kafka, (socketFactory: ISocketFactory) => Kafka>();

/**
 * The kafkajs instance a client of `owner` uses: for `kafka` built by {@link createKafkaJs}, one
 * configured the same whose every connection is the owner's (no async context needed to tell
 * whose a socket is); `kafka` itself for an instance built elsewhere.
 */
export function kafkaOf(kafka: Kafka, owner: SocketOwner): Kafka {
  const withSockets = withOwnSockets.get(kafka);
  return withSockets === undefined ? kafka : withSockets(owner.socketFactory());
}

function toKafkaJsSasl(sasl: SaslConfig): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}
