import { errorCodes } from '../errors.js';
import { KeyNotOwnedError, StoreUnavailableError, type KeyOwner } from './errors.js';
import type { PartitionEntries } from './queryService.js';

/**
 * The HTTP API of interactive queries, shared by the server and the client. Keys and values
 * are the store's serialized bytes, base64url-encoded, so the API serves any serde and an
 * instance needs no serdes to answer for another:
 *
 * - `GET /stores/<store>/keys/<key>[?partition=<n>]` → 200 `{ key, value, partition,
 *   partitions, owner }` (`owner`: the query endpoint of the instance holding the key, absent
 *   while the group rebalances; `partitions`: the source topics' partition count, so a client
 *   can map its next keys to owners itself), or 404 `{ error: "NOT_FOUND" }` when the owner
 *   has no such key;
 * - `GET /stores/<store>/range[?from=<key>][&to=<key>][&limit=<n>][&scope=local]` → 200
 *   `{ entries: [[key, value], …] }` over every partition in key order; with `scope=local`,
 *   `{ partitions: [{ partition, entries }] }` of the answering instance only;
 * - `GET /stores/<store>/owners/<key>[?partition=<n>]` → 200 `{ partition, partitions, taskId, local,
 *   owner }`.
 *
 * `partition` overrides murmur2 of the key bytes (for keys whose store bytes differ from their
 * topic bytes). Errors are `{ error: <code>, message, … }`: 421 `KEY_NOT_OWNED` with the
 * `owner`, 503 `STORE_UNAVAILABLE` (retry), 400 `INVALID_CONFIG` (unknown store, bad query).
 * A lookup an instance forwards carries `x-reelstream-forwarded: 1` and is never forwarded again.
 */
export const forwardedHeader = 'x-reelstream-forwarded';

export const notFound = 'NOT_FOUND';

export function encodeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

export function decodeBytes(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly partition?: number;
  readonly owner?: KeyOwner;
}

export type EntriesBody = readonly (readonly [string, string])[];

export function encodeEntries(entries: readonly (readonly [Buffer, Buffer])[]): EntriesBody {
  return entries.map(([key, value]) => [encodeBytes(key), encodeBytes(value)] as const);
}

export function decodeEntries(entries: EntriesBody): (readonly [Buffer, Buffer])[] {
  return entries.map(([key, value]) => [decodeBytes(key), decodeBytes(value)] as const);
}

export function decodePartitions(
  body: readonly { partition: number; entries: EntriesBody }[],
): PartitionEntries[] {
  return body.map((part) => ({ partition: part.partition, entries: decodeEntries(part.entries) }));
}

/** The typed error an error body stands for, as the server would have thrown it. */
export function errorOf(body: ErrorBody, store: string): Error {
  if (body.error === errorCodes.keyNotOwned && body.owner !== undefined) {
    return new KeyNotOwnedError({ store, partition: body.partition ?? -1, owner: body.owner });
  }
  if (body.error === errorCodes.storeUnavailable) {
    return new StoreUnavailableError({
      store,
      ...(body.partition === undefined ? {} : { partition: body.partition }),
      reason: `the owner said: ${body.message}`,
    });
  }
  return new Error(`query of store ${store} failed: ${body.error}: ${body.message}`);
}
