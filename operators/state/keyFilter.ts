/**
 * A Bloom filter over byte keys: "certainly absent" or "maybe present". The task store keeps
 * one of every key that may be in the store underneath but not in the cache, so a miss on a
 * key never written (a new window, a new user) is answered without a RocksDB read.
 */
export class KeyFilter {
  private readonly bits: Uint8Array;
  private readonly bitCount: number;
  private count = 0;

  /** Sized for `capacity` keys at about 1% false positives (10 bits a key, 3 hashes). */
  constructor(capacity: number) {
    this.bitCount = Math.max(1024, capacity * 10);
    this.bits = new Uint8Array(Math.ceil(this.bitCount / 8));
  }

  /** Keys added so far (for deciding when to grow). */
  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.bitCount / 10;
  }

  add(key: Uint8Array): void {
    hash(key);
    const a = hashA;
    const b = hashB;
    for (let i = 0; i < 3; i++) {
      const bit = (a + i * b) % this.bitCount;
      this.bits[bit >>> 3] = (this.bits[bit >>> 3] ?? 0) | (1 << (bit & 7));
    }
    this.count += 1;
  }

  mayContain(key: Uint8Array): boolean {
    hash(key);
    const a = hashA;
    const b = hashB;
    for (let i = 0; i < 3; i++) {
      const bit = (a + i * b) % this.bitCount;
      if (((this.bits[bit >>> 3] ?? 0) & (1 << (bit & 7))) === 0) {
        return false;
      }
    }
    return true;
  }
}

// The two hashes of the last key hashed: module variables rather than a returned pair, which
// was an array per lookup (a lookup per read of an uncached key, an add per eviction).
let hashA = 0;
let hashB = 0;

/** Two independent 32-bit FNV-1a style hashes (double hashing gives the k positions). */
function hash(key: Uint8Array): void {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const byte = key[i] ?? 0;
    a = Math.imul(a ^ byte, 0x01000193) >>> 0;
    b = Math.imul(b ^ byte, 0x5bd1e995) >>> 0;
  }
  hashA = a;
  hashB = (b | 1) >>> 0;
}
