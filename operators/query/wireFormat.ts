import { errorCodes } from '../errors.js';
import {
  KeyNotOwnedError,
  QueryNotAuthorizedError,
  StoreUnavailableError,
  type KeyOwner,
} from './errors.js';
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
 * - `GET /stores/<store>/range[?from=<key>][&to=<key>][&after=<key>][&limit=<n>][&scope=local]`
 *   → 200 `{ entries: [[key, value], …], more, next }`: one page, the first `limit` (default
 *   1,000, at most 10,000) entries of [from, to) after `after`, over every partition in key
 *   order; `more: true` with `next` (the page's last key) when entries remain: ask again with
 *   `after=<next>`. With `scope=local`, `{ partitions: [{ partition, entries, more }] }` of the
 *   answering instance only, up to `limit` per partition;
 * - `GET /stores/<store>/owners/<key>[?partition=<n>]` → 200 `{ partition, partitions, taskId, local,
 *   owner }`.
 *
 * `partition` overrides murmur2 of the key bytes (for keys whose store bytes differ from their
 * topic bytes). Errors are `{ error: <code>, message, … }`: 421 `KEY_NOT_OWNED` with the
 * `owner`, 503 `STORE_UNAVAILABLE` (retry), 400 `INVALID_CONFIG` (unknown store, bad query).
 * A lookup an instance forwards carries `x-reelstream-forwarded: 1` and is never forwarded again.
 *
 * With a token configured every request needs `Authorization: Bearer <token>`; without one the
 * answer is 401 `NOT_AUTHORIZED` with a `WWW-Authenticate: Bearer` challenge (`bearerAuth.ts`).
 */
export const forwardedHeader = 'x-reelstream-forwarded';

export const notFound = 'NOT_FOUND';

/** Entries of a range page when the caller names no `limit`. */
export const defaultRangeLimit = 1_000;
/** The most a range page holds: one request never reads (and holds) a whole store. */
export const maxRangeLimit = 10_000;

/** A range page of the whole store, as the API answers it. */
export interface RangePageBody {
  readonly entries: EntriesBody;
  readonly more: boolean;
  readonly next?: string;
}

/** One instance's answer to a `scope=local` range. */
export interface LocalRangeBody {
  readonly partitions: readonly {
    partition: number;
    entries: EntriesBody;
    /** Absent from servers before pagination: then a full page may have had more. */
    more?: boolean;
  }[];
}

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

export function decodePartitions(body: LocalRangeBody, limit: number): PartitionEntries[] {
  return body.partitions.map((part) => ({
    partition: part.partition,
    entries: decodeEntries(part.entries),
    more: part.more ?? part.entries.length >= limit,
  }));
}

/** The error body of an answer, or one made up from its status when it is not one. */
export function errorBodyOf(answer: { status: number; body: unknown; text: string }): ErrorBody {
  const body = answer.body as Partial<ErrorBody> | undefined;
  if (typeof body?.error === 'string' && typeof body.message === 'string') {
    return body as ErrorBody;
  }
  return { error: `HTTP ${answer.status}`, message: answer.text.slice(0, 200) };
}

/** The typed error an error body from `endpoint` stands for, as the server would have thrown it. */
export function errorOf(body: ErrorBody, store: string, endpoint: string): Error {
  if (body.error === errorCodes.notAuthorized) {
    return new QueryNotAuthorizedError({ store, endpoint, message: body.message });
  }
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
