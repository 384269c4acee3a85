/**
 * A byte key as a string, for JavaScript `Map`s keyed by store keys: latin1 maps each byte to
 * one code unit, so distinct byte strings stay distinct (no UTF-8 decoding, no replacement).
 */
export function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** The bytes of a key from its {@link keyId} (a Buffer from Node's pool: for short-lived use). */
export function keyOfId(id: string): Buffer {
  return Buffer.from(id, 'latin1');
}
