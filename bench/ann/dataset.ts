/**
 * bench/ann's data: clustered 64-d float32 vectors and held-out queries from the same
 * distribution, generated deterministically from a seed and written once to a cache file that
 * both sides read (identical bytes), and the exact top-k of every query, computed once by brute
 * force and cached beside it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { FaissIndex, faissVersion, setFaissThreads } from '../../operators/vectors/faissIndex.js';

/** Bumped whenever {@link generateDataset} would write different bytes for the same spec. */
const generatorVersion = 1;

/** What the data is made of; every field is in the cache file's name. */
export interface DatasetSpec {
  /** Base vectors (the index's contents). */
  readonly size: number;
  readonly dimension: number;
  /** Gaussian clusters the base vectors and the queries are drawn from. */
  readonly clusters: number;
  /** Held-out queries (drawn after the base vectors, from their own random stream). */
  readonly queries: number;
  readonly seed: number;
}

/** The cached files of one {@link DatasetSpec}. */
export interface DatasetFiles {
  /**
   * Raw little-endian float32: `size × dimension` base vectors (vector i has id i), then
   * `queries × dimension` query vectors. No header: numpy.fromfile and a Float32Array read it.
   */
  readonly vectorsFile: string;
  /** Raw little-endian int64: the exact top-k ids of each query, nearest first. */
  readonly truthFile: string;
  /** JSON: how the truth was computed ({@link TruthInfo}); written last, marks it complete. */
  readonly truthInfoFile: string;
}

/** How the cached ground truth was computed. */
export interface TruthInfo {
  readonly k: number;
  readonly method: string;
  readonly seconds: number;
}

/** Where bench/ann keeps its data: `${REELSTREAM_CACHE_DIR:-~/.cache/reelstream}/bench/ann`. */
export function annCacheDir(): string {
  return join(stackSettingsFromEnv().cacheDir, 'bench', 'ann');
}

export function datasetFiles(spec: DatasetSpec, k: number): DatasetFiles {
  const name =
    `clustered-g${generatorVersion}-d${spec.dimension}-c${spec.clusters}-seed${spec.seed}` +
    `-n${spec.size}-q${spec.queries}`;
  const dir = annCacheDir();
  return {
    vectorsFile: join(dir, `${name}.f32`),
    truthFile: join(dir, `${name}.top${k}.i64`),
    truthInfoFile: join(dir, `${name}.top${k}.json`),
  };
}

/** sfc32: a small, fast, seeded 32-bit generator; the same seed gives the same stream anywhere. */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** Standard normal deviates from a uniform source (Box-Muller, both outputs used). */
function gaussian(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - uniform(); // (0, 1]: log is finite
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

/**
 * The vectors of a spec: cluster centres N(0, 1) in every coordinate, each cluster with its own
 * spread (a standard deviation uniform in [0.2, 0.6] per coordinate, so clusters differ in
 * density and some overlap); each base vector and each query picks a cluster uniformly and adds
 * N(0, spread²) noise. Centres and spreads come from `seed`, base vectors from `seed + 1`,
 * queries from `seed + 2`: the queries are the same for every size.
 */
export function generateDataset(spec: DatasetSpec): Float32Array {
  const { dimension, clusters, size, queries, seed } = spec;
  const centreRandom = sfc32(seed);
  const centreNormal = gaussian(centreRandom);
  const centres = new Float32Array(clusters * dimension);
  for (let i = 0; i < centres.length; i++) centres[i] = centreNormal();
  const spreads = Float32Array.from({ length: clusters }, () => 0.2 + 0.4 * centreRandom());
  const out = new Float32Array((size + queries) * dimension);
  const fill = (from: number, count: number, streamSeed: number): void => {
    const uniform = sfc32(streamSeed);
    const normal = gaussian(uniform);
    for (let row = from; row < from + count; row++) {
      const cluster = Math.floor(uniform() * clusters);
      const spread = spreads[cluster] ?? 0;
      const base = cluster * dimension;
      const at = row * dimension;
      for (let j = 0; j < dimension; j++) {
        out[at + j] = (centres[base + j] ?? 0) + spread * normal();
      }
    }
  };
  fill(0, size, seed + 1);
  fill(size, queries, seed + 2);
  return out;
}

function writeAtomically(file: string, data: Uint8Array | string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, file);
}

/** Reads a whole file as float32s (copied when the buffer is not 4-byte aligned). */
export function readFloat32File(file: string): Float32Array {
  const buffer = readFileSync(file);
  if (buffer.byteOffset % 4 === 0) {
    return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  }
  return new Float32Array(Uint8Array.from(buffer).buffer);
}

/** Reads a whole file as int64s. */
export function readInt64File(file: string): BigInt64Array {
  const buffer = readFileSync(file);
  return new BigInt64Array(Uint8Array.from(buffer).buffer);
}

/**
 * Makes sure the spec's vectors file exists (generating and writing it when not) and returns its
 * path; `log` hears what is done and how long it took.
 */
export function ensureVectors(spec: DatasetSpec, k: number, log: (line: string) => void): string {
  const { vectorsFile } = datasetFiles(spec, k);
  const bytes = (spec.size + spec.queries) * spec.dimension * 4;
  if (existsSync(vectorsFile) && readFileSync(vectorsFile).byteLength === bytes) {
    log(`data: ${vectorsFile} (cached)`);
    return vectorsFile;
  }
  mkdirSync(annCacheDir(), { recursive: true });
  const started = performance.now();
  const vectors = generateDataset(spec);
  writeAtomically(vectorsFile, new Uint8Array(vectors.buffer));
  log(
    `data: generated ${spec.size.toLocaleString('en-US')} + ${spec.queries} vectors in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s → ${vectorsFile}`,
  );
  return vectorsFile;
}

/**
 * Makes sure the exact top-k of every query is cached: brute force with our binding's `Flat`
 * index (FAISS's exhaustive L2 search, through BLAS in batches of 100 queries) on `threads`
 * OpenMP threads. Returns how it was computed.
 */
export function ensureTruth(
  spec: DatasetSpec,
  { k, threads }: { readonly k: number; readonly threads: number },
  log: (line: string) => void,
): TruthInfo {
  const { vectorsFile, truthFile, truthInfoFile } = datasetFiles(spec, k);
  if (existsSync(truthInfoFile) && existsSync(truthFile)) {
    const info = JSON.parse(readFileSync(truthInfoFile, 'utf8')) as TruthInfo;
    log(`truth: ${truthFile} (cached; ${info.method}, ${info.seconds} s)`);
    return info;
  }
  const all = readFloat32File(vectorsFile);
  const { size, dimension, queries } = spec;
  const started = performance.now();
  setFaissThreads(threads);
  const index = FaissIndex.create({ dimension, description: 'Flat' });
  index.addWithIds(
    all.subarray(0, size * dimension),
    BigInt64Array.from({ length: size }, (_, i) => BigInt(i)),
  );
  const truth = new BigInt64Array(queries * k);
  const batch = 100;
  for (let from = 0; from < queries; from += batch) {
    const count = Math.min(batch, queries - from);
    const at = (size + from) * dimension;
    const { ids } = index.search(all.subarray(at, at + count * dimension), k);
    truth.set(ids, from * k);
  }
  index.dispose();
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const info: TruthInfo = {
    k,
    method:
      `exact L2, our binding's Flat index (FAISS ${faissVersion()}, Debian libfaiss, ` +
      `reference BLAS), batches of ${batch} queries, ${threads} thread(s)`,
    seconds,
  };
  writeAtomically(truthFile, new Uint8Array(truth.buffer));
  writeAtomically(truthInfoFile, `${JSON.stringify(info, null, 2)}\n`);
  log(`truth: exact top-${k} of ${queries} queries in ${seconds} s → ${truthFile}`);
  return info;
}
