/**
 * Bytes that own their memory, for buffers kept for long (cached keys and values).
 *
 * Node serves small Buffers (`Buffer.from`, `allocUnsafe` and `concat` under 4 KiB) as slices of
 * shared 8 KiB slabs, and a fetched record's key or value is a slice of the whole fetch
 * response. A slice kept alive keeps all of its slab or response: a write cache of 100k short
 * keys copied with `Buffer.from` pinned some 50k slabs (400 MB, measured with a heap snapshot
 * of the feature job) for under 5 MB of keys, and the collector's work grew with them.
 */

/** `bytes` itself when it spans its whole ArrayBuffer; otherwise a copy that does. */
export function ownedBytes(bytes: Uint8Array): Buffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, 0, bytes.byteLength);
  }
  return ownedCopy(bytes);
}

/** A copy of `bytes` in an ArrayBuffer of its own (never a pool slab). */
export function ownedCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
