import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { FaissIndexError, faissErrorCodes } from './errors.js';

/** What the addon's `search` returns. */
export interface NativeSearchResult {
  readonly distances: Float32Array;
  readonly ids: BigInt64Array;
}

/** Per-call search parameters as the addon reads them. */
export interface NativeSearchParams {
  readonly nprobe?: number;
  readonly efSearch?: number;
}

/** One IndexIDMap2 in the addon (operators/vectors/native/src/faissIndex.h). */
export interface NativeIndex {
  readonly ntotal: number;
  readonly dimension: number;
  readonly isTrained: boolean;
  readonly indexType: string;
  readonly busy: boolean;
  train(vectors: Float32Array): void;
  trainAsync(vectors: Float32Array): Promise<void>;
  addWithIds(vectors: Float32Array, ids: BigInt64Array): void;
  addWithIdsAsync(vectors: Float32Array, ids: BigInt64Array): Promise<void>;
  removeIds(ids: BigInt64Array): number;
  search(queries: Float32Array, k: number, params?: NativeSearchParams): NativeSearchResult;
  searchAsync(
    queries: Float32Array,
    k: number,
    params?: NativeSearchParams,
  ): Promise<NativeSearchResult>;
  toBuffer(): Buffer;
  dispose(): void;
}

/** The options the addon's constructor takes: a new index, or one read from a buffer. */
export type NativeIndexOptions =
  | { readonly dimension: number; readonly description: string; readonly metric: string }
  | { readonly buffer: Uint8Array };

/** The addon's exports (operators/vectors/native/src/addon.cc). */
export interface NativeBinding {
  readonly NativeIndex: new (options: NativeIndexOptions) => NativeIndex;
  setThreads(threads: number): void;
  getThreads(): number;
  readonly faissVersion: string;
}

const addonName = 'reelstream_faiss.node';

/**
 * The builds of the addon: `default` (deploy/local/setup/faissBinding.sh: Debian's generic
 * libfaiss, reference BLAS; in native/build/) and `optimized` (deploy/local/setup/faissOptimized.sh:
 * FAISS 1.7.3 built for AVX2, OpenBLAS; in `${REELSTREAM_CACHE_DIR:-~/.cache/reelstream}/faiss-avx2-1.7.3`).
 * deploy/local/setup.sh makes both where the CPU has AVX2. `REELSTREAM_FAISS_BUILD` picks one;
 * unset, empty or `auto` takes the optimized build when it is there and loads, the default otherwise:
 * the same FAISS version and index format either way, the optimized one about 2.6× the default's
 * search throughput on this project's machines (docs/vectors.md).
 */
const builds = {
  default: 'bash deploy/local/setup/faissBinding.sh',
  optimized: 'bash deploy/local/setup/faissOptimized.sh',
} as const;
export type FaissBuildName = keyof typeof builds;
const buildChoices = ['auto', ...Object.keys(builds)] as const;

function requestedBuild(): FaissBuildName | 'auto' {
  const value = process.env['REELSTREAM_FAISS_BUILD'] ?? '';
  if (value === '' || value === 'auto') return 'auto';
  if (Object.hasOwn(builds, value)) return value as FaissBuildName;
  throw new FaissIndexError(
    faissErrorCodes.notBuilt,
    `REELSTREAM_FAISS_BUILD=${value} is not a build of the FAISS binding: ${buildChoices.join(', ')}`,
  );
}

function optimizedAddon(): string {
  const cache = process.env['REELSTREAM_CACHE_DIR'] || join(homedir(), '.cache', 'reelstream');
  return join(cache, 'faiss-avx2-1.7.3', 'addon', 'build', 'Release', addonName);
}

/**
 * Where the addon may be: only `REELSTREAM_FAISS_BINDING` when it is set (a build of no name);
 * the optimized build's cache directory for `optimized`; for `default`, beside this module
 * (running from source), then the source tree's build seen from dist/operators/vectors/ (running
 * the compiled package from the repository); for `auto`, the optimized one, then the default's.
 */
function candidates(build: FaissBuildName | 'auto'): { path: string; build?: FaissBuildName }[] {
  const fromEnv = process.env['REELSTREAM_FAISS_BINDING'];
  if (fromEnv !== undefined && fromEnv !== '') return [{ path: fromEnv }];
  const optimized = { path: optimizedAddon(), build: 'optimized' as const };
  const defaults = [
    new URL(`./native/build/Release/${addonName}`, import.meta.url),
    new URL(`../../../operators/vectors/native/build/Release/${addonName}`, import.meta.url),
  ].map((url) => ({ path: fileURLToPath(url), build: 'default' as const }));
  if (build === 'optimized') return [optimized];
  if (build === 'default') return defaults;
  return [optimized, ...defaults];
}

let loaded: NativeBinding | undefined;
let loadedFrom: { path: string; build?: FaissBuildName } | undefined;

/** The file the addon was loaded from, once {@link loadNativeBinding} has loaded it. */
export function nativeBindingPath(): string | undefined {
  return loadedFrom?.path;
}

/**
 * Which build was loaded (`undefined` before loading, or for a file named by
 * `REELSTREAM_FAISS_BINDING`).
 */
export function nativeBindingBuild(): FaissBuildName | undefined {
  return loadedFrom?.build;
}

/**
 * Loads the addon once. Throws {@link FaissIndexError} `ERR_FAISS_NOT_BUILT`, saying what to
 * run, when it is not built or does not load.
 */
export function loadNativeBinding(): NativeBinding {
  if (loaded !== undefined) return loaded;
  const build = requestedBuild();
  const places = candidates(build);
  // What to run when it is missing: a path given by REELSTREAM_FAISS_BINDING is no build's, and
  // `auto` falls back to the default build, which set-up always makes.
  const setup = build === 'optimized' ? builds.optimized : builds.default;
  const present = places.filter((candidate) => existsSync(candidate.path));
  if (present.length === 0) {
    throw new FaissIndexError(
      faissErrorCodes.notBuilt,
      `the FAISS binding is not built (looked for ${places.map((place) => place.path).join(', ')}): ` +
        `run \`${setup}\`` +
        (setup === builds.default ? ' (deploy/local/setup.sh runs it too)' : ''),
    );
  }
  // In order; `auto` goes on to the default build when the optimized one is there but does not
  // load (its OpenBLAS removed, say), and the error names the first failure.
  const require = createRequire(import.meta.url);
  let firstFailure: { place: (typeof present)[number]; error: unknown } | undefined;
  for (const place of present) {
    try {
      loaded = require(place.path) as NativeBinding;
      loadedFrom = place;
      return loaded;
    } catch (error) {
      firstFailure ??= { place, error };
    }
  }
  const { place, error } = firstFailure as { place: (typeof present)[number]; error: unknown };
  const rebuild = place.build === undefined ? setup : builds[place.build];
  throw new FaissIndexError(
    faissErrorCodes.notBuilt,
    `the FAISS binding at ${place.path} does not load (${error instanceof Error ? error.message : String(error)}): ` +
      `rebuild it with \`${rebuild}\``,
    { cause: error },
  );
}
