/**
 * Stable codes of {@link FaissIndexError}. Callers branch on these, never on message text. The
 * native binding sets the same strings (operators/vectors/native/src/errors.h).
 *
 * @category Vectors
 */
export const faissErrorCodes = {
  /** FAISS itself threw; the message is FAISS's, with the function, file and line it names. */
  faiss: 'ERR_FAISS',
  /** An argument is malformed: a wrong array type or length, k < 1, a negative or repeated id. */
  invalidArgument: 'ERR_FAISS_INVALID_ARGUMENT',
  /** The index needs `train` before it can be added to or searched (IVF). */
  notTrained: 'ERR_FAISS_NOT_TRAINED',
  /** The index type cannot do this: `removeIds` on HNSW. */
  unsupported: 'ERR_FAISS_UNSUPPORTED',
  /** An asynchronous call holds the index (see {@link FaissIndex} on concurrency); retry after it settles. */
  busy: 'ERR_FAISS_INDEX_BUSY',
  /** The index was disposed. */
  disposed: 'ERR_FAISS_INDEX_DISPOSED',
  /** FAISS could not allocate memory. */
  outOfMemory: 'ERR_FAISS_OUT_OF_MEMORY',
  /** Another C++ exception escaped FAISS. */
  native: 'ERR_FAISS_NATIVE',
  /** The native addon is not built, or does not load: run `deploy/local/setup/faissBinding.sh`. */
  notBuilt: 'ERR_FAISS_NOT_BUILT',
} as const;

/** @category Vectors */
export type FaissErrorCode = (typeof faissErrorCodes)[keyof typeof faissErrorCodes];

const knownCodes: ReadonlySet<string> = new Set(Object.values(faissErrorCodes));

/**
 * Every failure of the FAISS binding: FAISS's own exceptions, argument checks, and a busy or
 * disposed index. None of them ends the process.
 *
 * @category Vectors
 */
export class FaissIndexError extends Error {
  override readonly name = 'FaissIndexError';
  readonly code: FaissErrorCode;
  /** True only for `busy`: the same call can succeed once the running call settles. */
  readonly retriable: boolean;

  constructor(code: FaissErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = code === faissErrorCodes.busy;
  }
}

/** The native error as a {@link FaissIndexError}; anything else unchanged. */
export function fromNativeError(error: unknown): unknown {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const code = error.code;
    if (knownCodes.has(code)) {
      return new FaissIndexError(code as FaissErrorCode, error.message, { cause: error });
    }
  }
  return error;
}
