import type { UserFeatures } from '../../schemas/generated/userFeatures.js';

/**
 * A learned candidate source for the recommender: given the requesting user's features, the
 * videos nearest to the user in a model's embedding space. The serving job implements it (the
 * two-tower retriever: the user tower, then a top-K search of every item vector shard); the
 * serving pipeline only asks it, so a deployment without a model or shards serves as before.
 */
export interface CandidateRetriever {
  /** For logs and metrics: `two-tower`. */
  readonly name: string;
  /**
   * Rejects only when the retriever itself cannot work (its model failed); shards that do not
   * answer make the answer `degraded`, with the candidates of those that did.
   */
  retrieve(request: RetrievalRequest): Promise<Retrieval>;
}

export interface RetrievalRequest {
  readonly userId: string;
  /** The user's features; null for a user without any (the model has an input for that). */
  readonly features: UserFeatures | null;
  /** The request's time: the model's time-of-day and weekday inputs. */
  readonly atMs: number;
  /** How many candidates to return at most. */
  readonly count: number;
  /** Videos never to return (the user's seen set). */
  readonly exclude: readonly string[];
}

export interface RetrievedCandidate {
  readonly videoId: string;
  /** The model's score: for the two-tower model, the cosine of the user and item vectors. */
  readonly score: number;
}

export interface Retrieval {
  /** Best first. */
  readonly candidates: readonly RetrievedCandidate[];
  /** Some shards did not answer: the candidates are the best of the others. */
  readonly degraded: boolean;
  /** The shards (partitions) that did not answer; -1 when not even their count is known. */
  readonly unavailableShards: readonly number[];
  /** The version of the model that made the user's and the items' vectors. */
  readonly modelVersion: string;
}
