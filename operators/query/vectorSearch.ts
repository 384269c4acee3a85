import { ConfigError } from '../errors.js';
import { decodeBinarySearch, encodeBinarySearch } from './binarySearchBody.js';
import type { VectorMetric } from '../vectors/vectorStoreSpec.js';

/**
 * Vector search over interactive queries: what a vector store's shards (one per partition, on
 * whichever instance runs its task) answer, how an answer travels over HTTP, and how the
 * answers of every shard are merged into one top-K.
 *
 * HTTP (beside the key-value routes of `wireFormat.ts`, with the same token and TLS):
 * `POST /stores/<store>/search` with a JSON {@link SearchRequestBody}:
 * - without `scope`: every shard is searched (this instance's, and each other owner's over
 *   HTTP) and the top `k` merged → 200 {@link SearchResultBody}; shards that could not answer
 *   are listed in `unavailable` and make the result `degraded`, never an error;
 * - with `scope: "local"` (what one instance asks another): only the shards this instance runs
 *   → 200 {@link LocalSearchBody}.
 * 400 `INVALID_CONFIG` for a bad request (unknown store, k out of range, a vector of the wrong
 * length …).
 */

/** The most neighbours one search returns. */
export const maxSearchK = 10_000;
/** The most ids one search may exclude. */
export const maxExcluded = 10_000;
/** A search's budget when the caller names none: shards that have not answered by then are left out. */
export const defaultSearchTimeoutMs = 1_000;
/** The largest search body a server reads. */
export const maxSearchBodyBytes = 1 << 20;

/**
 * A top-K search of a vector store: `k` nearest stored vectors to `vector`, over every shard.
 *
 * @category Queries
 */
export interface VectorSearchLookup {
  readonly store: string;
  readonly vector: Float32Array;
  readonly k: number;
  /** The model version the query vector was made with: shards of another version do not answer. */
  readonly version: string;
  /** Ids never returned (the videos a user has seen, say); each shard asks FAISS for k + these. */
  readonly exclude?: readonly bigint[];
  /** IVF: inverted lists scanned per shard. */
  readonly nprobe?: number;
  /** HNSW: candidate list size per shard. */
  readonly efSearch?: number;
  /** The whole search's budget (default 1,000 ms): owners that have not answered by then count as unavailable. */
  readonly timeoutMs?: number;
  /**
   * A key-value store of the same tasks, keyed by each id's decimal digits in UTF-8 (as
   * `stringSerde` writes `String(id)`; the item shards' `<name>-video-ids` is one): each hit
   * carries that store's value for its id (`value`, the store's bytes), read by the shard that
   * found it, so a caller turns hits into its own ids without another round trip.
   */
  readonly attach?: string;
}

/**
 * One neighbour: its id, its distance to the query (the store's metric), and its shard.
 *
 * @category Queries
 */
export interface ShardHit {
  readonly id: bigint;
  readonly distance: number;
  readonly partition: number;
  /** The `attach` store's value for the id (absent without `attach`, or when it has none). */
  readonly value?: Buffer;
}

/**
 * A shard that did not answer, and why (rebalancing, restoring, its owner unreachable, another model version).
 *
 * @category Queries
 */
export interface UnavailableShard {
  readonly partition: number;
  readonly reason: string;
}

/** One shard's answer. */
export interface ShardAnswer {
  readonly partition: number;
  /** Vectors the shard holds. */
  readonly size: number;
  readonly hits: readonly ShardHit[];
}

/** What one instance answers for the shards it runs. */
export interface LocalSearchAnswer {
  /** The store's metric; undefined when this instance runs none of its shards. */
  readonly metric: VectorMetric | undefined;
  readonly shards: readonly ShardAnswer[];
  readonly unavailable: readonly UnavailableShard[];
}

/**
 * A search over every shard: the merged top-K of the shards that answered, and the shards that
 * did not. `degraded` when any did not: the hits are then the best of the rest.
 *
 * @category Queries
 */
export interface VectorSearchResult {
  /** Nearest first (smallest L2 distance, or largest inner product); ties by id. */
  readonly hits: readonly ShardHit[];
  /** The store's partition (shard) count; 0 when not even that is known. */
  readonly partitions: number;
  /** Shards that answered. */
  readonly searched: readonly number[];
  readonly unavailable: readonly UnavailableShard[];
  readonly degraded: boolean;
  readonly metric: VectorMetric | undefined;
}

/** The JSON body of a search request. */
export interface SearchRequestBody {
  /** The query's float32 values, little-endian, base64url. */
  readonly vector: string;
  readonly k: number;
  readonly version: string;
  /** Decimal ids. */
  readonly exclude?: readonly string[];
  readonly nprobe?: number;
  readonly efSearch?: number;
  readonly timeoutMs?: number;
  readonly attach?: string;
  readonly scope?: 'local';
}

/** Hits on the wire: `[id (decimal), distance, partition, value (base64url)?]`. */
type HitsBody = readonly (readonly [string, number, number, string?])[];

export interface LocalSearchBody {
  readonly metric?: VectorMetric;
  readonly shards: readonly { partition: number; size: number; hits: HitsBody }[];
  readonly unavailable: readonly UnavailableShard[];
}

export interface SearchResultBody {
  readonly metric?: VectorMetric;
  readonly partitions: number;
  readonly searched: readonly number[];
  readonly unavailable: readonly UnavailableShard[];
  readonly degraded: boolean;
  readonly hits: HitsBody;
}

/** Checks a lookup's numbers before any shard is asked (a `ConfigError`, 400 over HTTP). */
export function checkSearch(lookup: VectorSearchLookup): void {
  const { k } = lookup;
  if (!Number.isSafeInteger(k) || k < 1 || k > maxSearchK) {
    throw new ConfigError('query', `k is 1..${maxSearchK} (${k} asked)`);
  }
  if ((lookup.exclude?.length ?? 0) > maxExcluded) {
    throw new ConfigError('query', `at most ${maxExcluded} ids may be excluded`);
  }
  if (lookup.vector.length === 0) {
    throw new ConfigError('query', 'the query vector is empty');
  }
  if (lookup.timeoutMs !== undefined && !(lookup.timeoutMs > 0 && lookup.timeoutMs <= 60_000)) {
    throw new ConfigError('query', `timeoutMs is in (0, 60000] (${lookup.timeoutMs} asked)`);
  }
  if (typeof lookup.version !== 'string' || lookup.version.length === 0) {
    throw new ConfigError('query', 'a search names the model version of its query vector');
  }
}

/**
 * The `k` best hits of all shards' answers: nearest first by the metric, ties by id (so the
 * merge does not depend on the order the shards answered in).
 */
export function mergeHits(
  metric: VectorMetric | undefined,
  shards: readonly ShardAnswer[],
  k: number,
): ShardHit[] {
  const sign = metric === 'innerProduct' ? -1 : 1;
  return shards
    .flatMap((shard) => shard.hits)
    .sort((a, b) => sign * (a.distance - b.distance) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}

export function encodeVector(vector: Float32Array): string {
  const little = new Float32Array(vector); // a copy: its own buffer, whole
  return Buffer.from(little.buffer).toString('base64url');
}

export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length % 4 !== 0) {
    throw new ConfigError('query', `a vector of ${bytes.length} bytes is not float32s`);
  }
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) {
    vector[i] = bytes.readFloatLE(i * 4);
  }
  return vector;
}

export function searchRequestBody(
  lookup: VectorSearchLookup,
  scope?: 'local',
  timeoutMs?: number,
): SearchRequestBody {
  return {
    vector: encodeVector(lookup.vector),
    k: lookup.k,
    version: lookup.version,
    ...(lookup.exclude === undefined || lookup.exclude.length === 0
      ? {}
      : { exclude: lookup.exclude.map(String) }),
    ...(lookup.nprobe === undefined ? {} : { nprobe: lookup.nprobe }),
    ...(lookup.efSearch === undefined ? {} : { efSearch: lookup.efSearch }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(lookup.attach === undefined ? {} : { attach: lookup.attach }),
    ...(scope === undefined ? {} : { scope }),
  };
}

/** A request body as the server reads it; anything malformed is a `ConfigError`. */
export function lookupOfBody(
  store: string,
  body: unknown,
): VectorSearchLookup & { local: boolean } {
  const b = body as Partial<SearchRequestBody> | undefined;
  if (b === undefined || typeof b !== 'object' || b === null || typeof b.vector !== 'string') {
    throw new ConfigError('query', 'a search body is JSON with vector, k and version');
  }
  const optionalInteger = (name: 'nprobe' | 'efSearch'): { [key: string]: number } => {
    const value = b[name];
    if (value === undefined) {
      return {};
    }
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError('query', `${name} must be a positive integer`);
    }
    return { [name]: value };
  };
  let exclude: bigint[] = [];
  if (b.exclude !== undefined) {
    const ids: unknown = b.exclude;
    if (
      !Array.isArray(ids) ||
      !ids.every((id) => typeof id === 'string' && /^\d{1,19}$/.test(id))
    ) {
      throw new ConfigError('query', 'exclude is a list of decimal ids');
    }
    exclude = (ids as string[]).map((id) => BigInt(id));
  }
  return {
    store,
    vector: decodeVector(b.vector),
    k: Number(b.k),
    version: String(b.version ?? ''),
    exclude,
    ...optionalInteger('nprobe'),
    ...optionalInteger('efSearch'),
    ...(b.timeoutMs === undefined ? {} : { timeoutMs: Number(b.timeoutMs) }),
    ...(typeof b.attach === 'string' ? { attach: b.attach } : {}),
    local: b.scope === 'local',
  };
}

const hitsBody = (hits: readonly ShardHit[]): HitsBody =>
  hits.map((hit) =>
    hit.value === undefined
      ? ([String(hit.id), hit.distance, hit.partition] as const)
      : ([String(hit.id), hit.distance, hit.partition, hit.value.toString('base64url')] as const),
  );

const hitsOf = (body: HitsBody): ShardHit[] =>
  body.map(([id, distance, partition, value]): ShardHit =>
    value === undefined
      ? { id: BigInt(id), distance, partition }
      : { id: BigInt(id), distance, partition, value: Buffer.from(value, 'base64url') },
  );

export function localSearchBody(answer: LocalSearchAnswer): LocalSearchBody {
  return {
    ...(answer.metric === undefined ? {} : { metric: answer.metric }),
    shards: answer.shards.map((shard) => ({
      partition: shard.partition,
      size: shard.size,
      hits: hitsBody(shard.hits),
    })),
    unavailable: answer.unavailable,
  };
}

export function localSearchOfBody(body: LocalSearchBody): LocalSearchAnswer {
  return {
    metric: body.metric,
    shards: body.shards.map((shard) => ({
      partition: shard.partition,
      size: shard.size,
      hits: hitsOf(shard.hits),
    })),
    unavailable: body.unavailable,
  };
}

/** A merged search's answer on the wire, but its hits (the JSON body's, the binary header). */
type SearchResultHeader = Omit<SearchResultBody, 'hits'>;

function searchResultHeader(result: VectorSearchResult): SearchResultHeader {
  return {
    ...(result.metric === undefined ? {} : { metric: result.metric }),
    partitions: result.partitions,
    searched: result.searched,
    unavailable: result.unavailable,
    degraded: result.degraded,
  };
}

function searchResultOf(header: SearchResultHeader, hits: ShardHit[]): VectorSearchResult {
  return {
    metric: header.metric,
    partitions: header.partitions,
    searched: header.searched,
    unavailable: header.unavailable,
    degraded: header.degraded,
    hits,
  };
}

export function searchResultBody(result: VectorSearchResult): SearchResultBody {
  return { ...searchResultHeader(result), hits: hitsBody(result.hits) };
}

export function searchResultOfBody(body: SearchResultBody): VectorSearchResult {
  return searchResultOf(body, hitsOf(body.hits));
}

/** {@link searchResultBody} in the binary format of `binarySearchBody.ts`. */
export function searchResultBinary(result: VectorSearchResult): Buffer {
  return encodeBinarySearch(searchResultHeader(result), [result.hits]);
}

/** A merged search's answer from its binary body; throws on a malformed one. */
export function searchResultOfBinary(bytes: Buffer): VectorSearchResult {
  const { header, hitLists } = decodeBinarySearch(bytes, () => 1);
  const body = header as SearchResultHeader | null;
  if (typeof body !== 'object' || body === null || !Array.isArray(body.searched)) {
    throw new Error('binary search answer: its header is not a search result');
  }
  return searchResultOf(body, hitLists[0] ?? []);
}

/** {@link localSearchBody} in the binary format of `binarySearchBody.ts`. */
export function localSearchBinary(answer: LocalSearchAnswer): Buffer {
  const header = {
    ...(answer.metric === undefined ? {} : { metric: answer.metric }),
    shards: answer.shards.map((shard) => ({ partition: shard.partition, size: shard.size })),
    unavailable: answer.unavailable,
  };
  return encodeBinarySearch(
    header,
    answer.shards.map((shard) => shard.hits),
  );
}

/** One instance's local answer from its binary body; throws on a malformed one. */
export function localSearchOfBinary(bytes: Buffer): LocalSearchAnswer {
  type Header = Omit<LocalSearchBody, 'shards'> & {
    shards: readonly { partition: number; size: number }[];
  };
  const shardsOf = (header: unknown): Header['shards'] => {
    const shards = (header as Partial<Header> | null)?.shards;
    if (!Array.isArray(shards)) {
      throw new Error('binary search answer: its header is not a local search answer');
    }
    return shards as Header['shards'];
  };
  const { header, hitLists } = decodeBinarySearch(bytes, (h) => shardsOf(h).length);
  const body = header as Header;
  return {
    metric: body.metric,
    shards: shardsOf(header).map((shard, i) => ({
      partition: shard.partition,
      size: shard.size,
      hits: hitLists[i] ?? [],
    })),
    unavailable: body.unavailable,
  };
}
