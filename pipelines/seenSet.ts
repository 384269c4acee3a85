import type { SeenFilter, UserSeen } from '../schemas/generated/userSeen.js';

/**
 * A user's seen set, bounded: the `exactLimit` most recently seen distinct videos as their ids
 * (no false positives), and the videos that left that list in Bloom filters sized for
 * `filterCapacity` videos each at false-positive rate `falsePositiveRate`. When the newest
 * filter is full a new one starts and the older full one is kept beside it; a third drops the
 * oldest, so at most two filters exist and their union answers "seen" wrongly for an unseen
 * video with probability at most 1 − (1 − p)² (≈ 2p).
 *
 * What is remembered: every video of a user who has seen at most `exactLimit + filterCapacity`
 * (5,500 by default), and for heavier users at least the last that many (at most
 * `exactLimit + 2 × filterCapacity`); older ones are forgotten and may be recommended again.
 *
 * Cost with the defaults (500 exact, 5,000 per filter at 1 %): a filter is 47,928 bits
 * (5,991 bytes, 7 hashes), so the heaviest user's value is 500 ids (about 4.5 KB with the
 * generator's and MovieLens' ids of 5–9 characters) plus two filters (12 KB): about 17 KB on
 * disk and in the changelog, about 30 KB decoded (16 KB of strings, 12 KB of buffers). A user
 * who has seen fewer than 500 videos has no filter and no false positive at all (500 ids:
 * 3.9 KB). Measured false-positive rates: 1.05 % with one full filter, 2.02 % with two.
 *
 * Every function here returns a new value and never changes the one it is given (the
 * aggregation reuses what it forwarded last).
 */

/** Bounds of a seen set; every field has a default (see above). */
export interface SeenBounds {
  /** Videos kept exactly, most recent first. Default 500. */
  readonly exactLimit?: number;
  /** Videos per Bloom filter. Default 5,000. */
  readonly filterCapacity?: number;
  /** False-positive rate of a filter at its capacity. Default 0.01. */
  readonly falsePositiveRate?: number;
}

export const defaultSeenBounds: Required<SeenBounds> = {
  exactLimit: 500,
  filterCapacity: 5_000,
  falsePositiveRate: 0.01,
};

/** At most this many filters: the one being filled and the full one before it. */
const filterGenerations = 2;

/** A user's empty seen set. */
export function emptySeen(userId: string): UserSeen {
  return { userId, recent: [], filters: [], updatedTime: 0 };
}

/** `seen` with `videoId` seen at `time` (event time): it moves to the front of the exact list. */
export function withSeen(
  seen: UserSeen,
  item: { readonly videoId: string; readonly time: number },
  bounds: SeenBounds = {},
): UserSeen {
  const limits = { ...defaultSeenBounds, ...bounds };
  const updatedTime = Math.max(seen.updatedTime, item.time);
  if (seen.recent[0] === item.videoId) {
    return { ...seen, updatedTime };
  }
  const recent = [item.videoId, ...seen.recent.filter((id) => id !== item.videoId)];
  let filters = seen.filters;
  while (recent.length > Math.max(limits.exactLimit, 0)) {
    const evicted = recent.pop();
    if (evicted !== undefined) {
      filters = withFiltered(filters, evicted, limits);
    }
  }
  return { ...seen, recent, filters, updatedTime };
}

/** `filters` with `videoId` added to the newest, starting a new one when it is full. */
function withFiltered(
  filters: readonly SeenFilter[],
  videoId: string,
  limits: Required<SeenBounds>,
): SeenFilter[] {
  const newest = filters[0];
  if (newest !== undefined && newest.items < limits.filterCapacity) {
    return [bloomAdd(newest, videoId), ...filters.slice(1)];
  }
  const fresh = bloomAdd(emptyFilter(limits), videoId);
  return [fresh, ...filters.slice(0, filterGenerations - 1)];
}

/** A test of membership in `seen` (undefined: nothing seen); build it once per request. */
export function seenTest(seen: UserSeen | undefined): (videoId: string) => boolean {
  if (seen === undefined) {
    return () => false;
  }
  const exact = new Set(seen.recent);
  const filters = seen.filters;
  return (videoId) => {
    if (exact.has(videoId)) {
      return true;
    }
    if (filters.length === 0) {
      return false;
    }
    const hashes = hashPair(videoId);
    return filters.some((filter) => bloomHas(filter, hashes));
  };
}

/** Bits and hash count of a Bloom filter for `capacity` items at rate `p` (bits: whole bytes). */
export function bloomShape(capacity: number, p: number): { bits: number; hashes: number } {
  const n = Math.max(capacity, 1);
  const exact = Math.ceil((-n * Math.log(p)) / (Math.LN2 * Math.LN2));
  const bits = Math.max(8, Math.ceil(exact / 8) * 8);
  return { bits, hashes: Math.max(1, Math.round((bits / n) * Math.LN2)) };
}

function emptyFilter(limits: Required<SeenBounds>): SeenFilter {
  const shape = bloomShape(limits.filterCapacity, limits.falsePositiveRate);
  return { bits: Buffer.alloc(shape.bits / 8), hashes: shape.hashes, items: 0 };
}

function bloomAdd(filter: SeenFilter, videoId: string): SeenFilter {
  const bits = Buffer.from(filter.bits); // a copy: the given filter is left as it was
  forEachIndex(filter, hashPair(videoId), (index) => {
    bits[index >>> 3] = (bits[index >>> 3] ?? 0) | (1 << (index & 7));
    return true;
  });
  return { bits, hashes: filter.hashes, items: filter.items + 1 };
}

function bloomHas(filter: SeenFilter, hashes: readonly [number, number]): boolean {
  return forEachIndex(
    filter,
    hashes,
    (index) => ((filter.bits[index >>> 3] ?? 0) & (1 << (index & 7))) !== 0,
  );
}

/**
 * Calls `visit` with each of the filter's bit indices for the hash pair while it returns true
 * (enhanced double hashing, Dillinger and Manolios: x += y, y += i); true when all returned
 * true.
 */
function forEachIndex(
  filter: SeenFilter,
  hashes: readonly [number, number],
  visit: (index: number) => boolean,
): boolean {
  const size = filter.bits.length * 8;
  if (size === 0) {
    return false;
  }
  let [x, y] = hashes;
  for (let i = 0; i < filter.hashes; i++) {
    if (!visit(x % size)) {
      return false;
    }
    x = (x + y) >>> 0;
    y = (y + i + 1) >>> 0;
  }
  return true;
}

/**
 * Two 32-bit hashes of a video id's UTF-16 code units (FNV-1a with two multipliers, each
 * finished by MurmurHash3's fmix32). Part of the stored format: changing it makes stored
 * filters answer wrongly.
 */
export function hashPair(videoId: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < videoId.length; i++) {
    const c = videoId.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return [fmix32(a ^ videoId.length), fmix32(b ^ 0x9e3779b9)];
}

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
