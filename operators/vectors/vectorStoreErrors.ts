/**
 * Stable codes of {@link VectorStoreError}: callers branch on these, never on message text.
 *
 * @category Vectors
 */
export const vectorStoreErrorCodes = {
  /** An id outside 0 … 2^63 − 1, or not a bigint. */
  invalidId: 'ERR_VECTOR_INVALID_ID',
  /** A vector of the wrong length or type, with a non-finite float, or with an empty version. */
  invalidVector: 'ERR_VECTOR_INVALID',
  /**
   * A vector or a search of another model version than the store's: a store holds one version
   * at a time (write a new version to a new store, and switch the searches over to it).
   */
  versionMismatch: 'ERR_VECTOR_VERSION_MISMATCH',
  /** The store's key-value contents mix model versions (written outside the vector store). */
  mixedVersions: 'ERR_VECTOR_MIXED_VERSIONS',
} as const;

/** @category Vectors */
export type VectorStoreErrorCode =
  (typeof vectorStoreErrorCodes)[keyof typeof vectorStoreErrorCodes];

/**
 * A misuse of a vector store: a bad id or vector, or a model version other than the store's.
 * Never retriable (the same call fails again).
 *
 * @category Vectors
 */
export class VectorStoreError extends Error {
  override readonly name = 'VectorStoreError';
  readonly code: VectorStoreErrorCode;
  readonly retriable = false;
  /** The store's name, when the error concerns one. */
  readonly store: string | undefined;

  constructor(code: VectorStoreErrorCode, message: string, options: { store?: string } = {}) {
    super(options.store === undefined ? message : `vector store ${options.store}: ${message}`);
    this.code = code;
    this.store = options.store;
  }
}
