/**
 * reelstream's public API. Pipelines import from here and from `schemas/` only; the runtime,
 * state and connector internals stay behind this file (enforced by eslint).
 */
export { ConfigError, ReelstreamError, errorCodes, type ErrorCode } from './errors.js';
export {
  connectionConfigFromEnv,
  defaultBrokers,
  defaultRegistryUrl,
  type ConnectionConfig,
  type RegistryConfig,
  type SaslConfig,
  type TlsConfig,
} from './config/connectionConfig.js';
