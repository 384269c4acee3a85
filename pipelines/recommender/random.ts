/**
 * Seeded randomness for the serving path: the exploration slot draws from a generator seeded by
 * the request id, so a reply can be reproduced (asked again, replayed in a test or an
 * evaluation) and two replicas answering one request alike.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * A generator seeded by a string: FNV-1a (32 bits) of its UTF-16 code units as the seed of
 * mulberry32 (Tommy Ettinger's 32-bit generator: one multiply-xorshift round per draw, passes
 * PractRand to 2^32 bytes per seed, plenty for a few hundred draws per request).
 */
export function seededRandom(seed: string): Random {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  }
  let state = hash;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box–Muller; the second value is dropped: draws are few). */
export function normalSample(random: Random): number {
  // 1 − u: in (0, 1], so the logarithm is finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A Gamma(shape, 1) draw by Marsaglia and Tsang's method ("A Simple Method for Generating
 * Gamma Variables", ACM Transactions on Mathematical Software 26(3), 2000): for shape ≥ 1,
 * d = shape − 1/3, c = 1/√(9d); draw x normal, v = (1 + cx)³, accept d·v when v > 0 and
 * log u < x²/2 + d − d·v + d·log v (the paper's squeeze u < 1 − 0.0331x⁴ first, which accepts
 * most draws without a logarithm). Shape < 1 uses the paper's boost: Gamma(shape + 1)·u^(1/shape).
 */
export function gammaSample(shape: number, random: Random): number {
  if (!(shape > 0)) {
    throw new RangeError(`gamma shape must be positive, got ${shape}`);
  }
  if (shape < 1) {
    return gammaSample(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalSample(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x * x * x * x) {
      return d * v;
    }
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      return d * v;
    }
  }
}

/** A Beta(α, β) draw: X/(X + Y) with X ~ Gamma(α), Y ~ Gamma(β). */
export function betaSample(alpha: number, beta: number, random: Random): number {
  const x = gammaSample(alpha, random);
  const y = gammaSample(beta, random);
  return x / (x + y);
}
