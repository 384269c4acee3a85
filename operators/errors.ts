/**
 * The root of reelstream's error taxonomy. Every error the framework raises is a
 * {@link ReelstreamError}: it names a stable `code`, says whether retrying can help, and keeps
 * the underlying `cause`. Context such as topic, partition and offset lives in fields, not only
 * in the message, so handlers can route on it.
 *
 * @category Errors
 */
export class ReelstreamError extends Error {
  override readonly name: string = 'ReelstreamError';
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * Stable error codes. Callers branch on these, never on message text.
 *
 * @category Errors
 */
export const errorCodes = {
  /** A configuration value (environment variable, flag, option) is missing or malformed. */
  invalidConfig: 'INVALID_CONFIG',
  /** A broker or the schema registry could not be reached in time. */
  unreachable: 'UNREACHABLE',
  /** Authentication failed, or an ACL denies the operation. */
  notAuthorized: 'NOT_AUTHORIZED',
  /** A consumer group that was asked for does not exist. */
  groupNotFound: 'GROUP_NOT_FOUND',
  /** An interactive query for a key this instance does not own, and cannot forward. */
  keyNotOwned: 'KEY_NOT_OWNED',
  /** A queried store cannot answer now (rebalancing, restoring, owner unreachable): retry. */
  storeUnavailable: 'STORE_UNAVAILABLE',
} as const;

/** @category Errors */
export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/**
 * A configuration value is missing or malformed; the message names the setting and the value.
 *
 * @category Errors
 */
export class ConfigError extends ReelstreamError {
  override readonly name = 'ConfigError';
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(errorCodes.invalidConfig, `${setting}: ${message}`);
    this.setting = setting;
  }
}
