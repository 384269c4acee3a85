import { RemoteVectorSearch, type QueryAccess } from '../../operators/index.js';
import { videoVectorId } from '../../pipelines/itemEmbeddingShards.js';
import type {
  CandidateRetriever,
  Retrieval,
  RetrievalRequest,
} from '../../pipelines/recommender/retrieval.js';
import { OnnxUserTower, type UserTowerOptions } from '../embeddings/userTower.js';

export interface TwoTowerRetrieverOptions extends UserTowerOptions {
  /** Query endpoints of the item shards job (`jobs/embeddings`) serving the model's version. */
  readonly endpoints: readonly string[];
  /** The shards' vector store; default `item-vectors` (its id map: `<store>-video-ids`). */
  readonly store?: string;
  /** A search's budget over every shard (default 50 ms): shards later than that are left out. */
  readonly searchTimeoutMs?: number;
  /** IVF shards: lists scanned per shard. */
  readonly nprobe?: number;
  /** HNSW shards: candidate list size per shard (at least the count asked for is sensible). */
  readonly efSearch?: number;
  /** The shards job's query token and TLS; default from the environment. */
  readonly access?: QueryAccess;
  /** Hears how long each retrieval's user tower and search took (load runs, metrics). */
  readonly onTiming?: (timing: { readonly towerMs: number; readonly searchMs: number }) => void;
}

/**
 * Two-tower retrieval served: the user's features → the trained user tower (worker pool,
 * micro-batched) → the user's vector → a top-K search of every item vector shard of the same
 * model version, on whichever instances of the shards job hold them (interactive queries,
 * merged there) → the nearest videos not in the user's seen set, with their scores.
 *
 * The score is the cosine of the user's and the video's vectors, as the trainer scores them
 * (both towers end in an L2 normalisation; the manifest's `score`): for shards searched by
 * squared L2 distance d between unit vectors, 1 − d / 2; for inner-product shards, the
 * distance itself.
 */
export class TwoTowerRetriever implements CandidateRetriever {
  readonly name = 'two-tower';
  readonly tower: OnnxUserTower;
  readonly #search: RemoteVectorSearch;
  readonly #options: TwoTowerRetrieverOptions;
  readonly #attach: string;

  private constructor(
    tower: OnnxUserTower,
    search: RemoteVectorSearch,
    options: TwoTowerRetrieverOptions,
  ) {
    this.tower = tower;
    this.#search = search;
    this.#options = options;
    this.#attach = `${options.store ?? 'item-vectors'}-video-ids`;
  }

  /** Loads the user tower (its workers up) and prepares the shards' client. */
  static async open(options: TwoTowerRetrieverOptions): Promise<TwoTowerRetriever> {
    const tower = await OnnxUserTower.load(options);
    const search = new RemoteVectorSearch({
      endpoints: options.endpoints,
      store: options.store ?? 'item-vectors',
      timeoutMs: options.searchTimeoutMs ?? 50,
      ...(options.access === undefined ? {} : { access: options.access }),
    });
    return new TwoTowerRetriever(tower, search, options);
  }

  get modelVersion(): string {
    return this.tower.version;
  }

  async retrieve(request: RetrievalRequest): Promise<Retrieval> {
    const started = performance.now();
    const vector = await this.tower.embed(request.userId, request.features, request.atMs);
    const embedded = performance.now();
    const result = await this.#search.search({
      vector,
      k: request.count,
      version: this.tower.version,
      exclude: request.exclude.map(videoVectorId),
      attach: this.#attach,
      ...(this.#options.nprobe === undefined ? {} : { nprobe: this.#options.nprobe }),
      ...(this.#options.efSearch === undefined ? {} : { efSearch: this.#options.efSearch }),
    });
    this.#options.onTiming?.({
      towerMs: embedded - started,
      searchMs: performance.now() - embedded,
    });
    const innerProduct = result.metric === 'innerProduct';
    return {
      // A hit without its video id (the id map lagging its vector by a record) is left out.
      candidates: result.hits.flatMap((hit) =>
        hit.value === undefined
          ? []
          : [
              {
                videoId: hit.value.toString('utf8'),
                score: innerProduct ? hit.distance : 1 - hit.distance / 2,
              },
            ],
      ),
      degraded: result.degraded,
      unavailableShards: result.unavailable.map((u) => u.partition),
      modelVersion: this.tower.version,
    };
  }

  async close(): Promise<void> {
    this.#search.close();
    await this.tower.close();
  }
}
