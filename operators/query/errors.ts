import { errorCodes, ReelstreamError } from '../errors.js';

/**
 * The instance that owns a key's partition, as the consumer group describes it.
 *
 * @category Queries
 */
export interface KeyOwner {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** Where it answers queries; undefined when it advertises no `queryEndpoint`. */
  readonly queryEndpoint: string | undefined;
}

/**
 * A lookup for a key whose partition another instance owns, which this instance cannot forward
 * to (the owner advertises no query endpoint, or the lookup was already forwarded once). The
 * owner is in {@link owner}: ask it.
 *
 * @category Queries
 */
export class KeyNotOwnedError extends ReelstreamError {
  override readonly name = 'KeyNotOwnedError';
  readonly store: string;
  readonly partition: number;
  readonly owner: KeyOwner;

  constructor(fields: { store: string; partition: number; owner: KeyOwner }) {
    const where = fields.owner.queryEndpoint ?? `${fields.owner.clientHost} (no query endpoint)`;
    super(
      errorCodes.keyNotOwned,
      `store ${fields.store}: partition ${fields.partition} is owned by member ${fields.owner.memberId} at ${where}`,
    );
    this.store = fields.store;
    this.partition = fields.partition;
    this.owner = fields.owner;
  }
}

/**
 * A store cannot answer now: the group is rebalancing, the task is restoring, or its owner did
 * not answer. Retriable: ownership settles within a rebalance.
 *
 * @category Queries
 */
export class StoreUnavailableError extends ReelstreamError {
  override readonly name = 'StoreUnavailableError';
  readonly store: string;
  /** The partition that cannot answer; undefined when it concerns the whole store. */
  readonly partition: number | undefined;

  constructor(fields: { store: string; partition?: number; reason: string; cause?: unknown }) {
    const where = fields.partition === undefined ? '' : ` partition ${fields.partition}`;
    super(errorCodes.storeUnavailable, `store ${fields.store}${where}: ${fields.reason}`, {
      retriable: true,
      cause: fields.cause,
    });
    this.store = fields.store;
    this.partition = fields.partition;
  }
}

/**
 * A query endpoint refused the lookup: no token, or not the one it accepts
 * (`REELSTREAM_QUERY_TOKEN` differs between the caller and the job). Not retriable: the same
 * token is refused again.
 *
 * @category Queries
 */
export class QueryNotAuthorizedError extends ReelstreamError {
  override readonly name = 'QueryNotAuthorizedError';
  readonly store: string;

  constructor(fields: { store: string; endpoint: string; message: string }) {
    super(
      errorCodes.notAuthorized,
      `store ${fields.store}: the query endpoint ${fields.endpoint} refused the lookup: ${fields.message}`,
    );
    this.store = fields.store;
  }
}
