import { SchemaRegistryClient } from '@confluentinc/schemaregistry';

import type { RegistryConfig } from '../config/connectionConfig.js';

/**
 * A client for any Confluent-compatible schema registry (Confluent, Karapace, Apicurio's
 * `ccompat` API), configured from reelstream's {@link RegistryConfig}.
 *
 * @example
 * ```ts
 * const registry = createRegistryClient(connectionConfigFromEnv().registry);
 * const subjects = await registry.getAllSubjects();
 * ```
 * @category Serdes
 */
export function createRegistryClient(config: RegistryConfig): SchemaRegistryClient {
  return new SchemaRegistryClient({
    baseURLs: [config.url],
    // A registry that is down should fail fast; callers own their retry policy.
    maxRetries: 2,
    ...(config.basicAuth === undefined
      ? {}
      : { basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: config.basicAuth } }),
  });
}
