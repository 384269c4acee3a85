import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
 * Where the addon may be: only `REELSTREAM_FAISS_BINDING` when it is set; otherwise beside this
 * module (running from source), then the source tree's build seen from dist/operators/vectors/
 * (running the compiled package from the repository).
 */
function candidates(): string[] {
  const fromEnv = process.env['REELSTREAM_FAISS_BINDING'];
  if (fromEnv !== undefined && fromEnv !== '') return [fromEnv];
  return [
    new URL(`./native/build/Release/${addonName}`, import.meta.url),
    new URL(`../../../operators/vectors/native/build/Release/${addonName}`, import.meta.url),
  ].map((url) => fileURLToPath(url));
}

let loaded: NativeBinding | undefined;

/**
 * Loads the addon once. Throws {@link FaissIndexError} `ERR_FAISS_NOT_BUILT`, saying what to
 * run, when it is not built or does not load.
 */
export function loadNativeBinding(): NativeBinding {
  if (loaded !== undefined) return loaded;
  const paths = candidates();
  const path = paths.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    throw new FaissIndexError(
      faissErrorCodes.notBuilt,
      `the FAISS binding is not built (looked for ${paths.join(', ')}): ` +
        'run `bash deploy/local/setup/faissBinding.sh` (deploy/local/setup.sh runs it too)',
    );
  }
  try {
    const require = createRequire(import.meta.url);
    loaded = require(path) as NativeBinding;
  } catch (error) {
    throw new FaissIndexError(
      faissErrorCodes.notBuilt,
      `the FAISS binding at ${path} does not load (${error instanceof Error ? error.message : String(error)}): ` +
        'rebuild it with `bash deploy/local/setup/faissBinding.sh`',
      { cause: error },
    );
  }
  return loaded;
}
