// Generated from schemas/recommendationReply.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** A candidate generator. TWO_TOWER: the learned two-tower retrieval (the user tower, then the nearest videos in the item vector shards). OTHER is the reader default for sources added later, so readers of an older version of this schema read them as OTHER. */
export type CandidateSource =
  | 'CO_VISITATION'
  | 'TRENDING_REGION'
  | 'TRENDING_CATEGORY'
  | 'CATEGORY_AFFINITY'
  | 'CREATOR_AFFINITY'
  | 'FRESH_UPLOAD'
  | 'POPULAR_FALLBACK'
  | 'OTHER'
  | 'POPULAR_REGION'
  | 'TWO_TOWER';

/** One recommended video with its score and where it came from. */
export interface RecommendedItem {
  /** Id of the recommended video. */
  readonly videoId: string;
  /** Final score the list is ordered by (higher first); comparable only within one reply. */
  readonly score: number;
  /** Every candidate source that proposed the video (at least one). */
  readonly sources: readonly CandidateSource[];
}

/** The answer to a RecommendationRequest, sent on the caller's reply topic with the request's correlation id. Items are in display order. */
export interface RecommendationReply {
  /** The request's id. */
  readonly requestId: string;
  /** The user the list is for. */
  readonly userId: string;
  /** The recommended videos, best first; at most the requested count. */
  readonly items: readonly RecommendedItem[];
  /** True when the list is a fallback (e.g. popular in region) because features were missing or a step failed or ran out of time. */
  readonly degraded: boolean;
  /** Why the reply is degraded (e.g. unknown user, feature state unavailable, deadline); null when not degraded. */
  readonly degradedReason: null | string;
  /** Version of the recommender that produced the list; copied into the impressions it logs. */
  readonly modelVersion: string;
  /** When the server produced the reply, Unix epoch milliseconds UTC. */
  readonly servedTime: number;
}

/** The Avro schema of {@link RecommendationReply}, as registered in the schema registry. */
export const recommendationReplySchema: AvroSchema<RecommendationReply> = {
  name: 'reelstream.serving.RecommendationReply',
  definition: {
    type: 'record',
    name: 'RecommendationReply',
    namespace: 'reelstream.serving',
    doc: "The answer to a RecommendationRequest, sent on the caller's reply topic with the request's correlation id. Items are in display order.",
    fields: [
      { name: 'requestId', type: 'string', doc: "The request's id." },
      { name: 'userId', type: 'string', doc: 'The user the list is for.' },
      {
        name: 'items',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'RecommendedItem',
            doc: 'One recommended video with its score and where it came from.',
            fields: [
              { name: 'videoId', type: 'string', doc: 'Id of the recommended video.' },
              {
                name: 'score',
                type: 'double',
                doc: 'Final score the list is ordered by (higher first); comparable only within one reply.',
              },
              {
                name: 'sources',
                type: {
                  type: 'array',
                  items: {
                    type: 'enum',
                    name: 'CandidateSource',
                    doc: 'A candidate generator. TWO_TOWER: the learned two-tower retrieval (the user tower, then the nearest videos in the item vector shards). OTHER is the reader default for sources added later, so readers of an older version of this schema read them as OTHER.',
                    symbols: [
                      'CO_VISITATION',
                      'TRENDING_REGION',
                      'TRENDING_CATEGORY',
                      'CATEGORY_AFFINITY',
                      'CREATOR_AFFINITY',
                      'FRESH_UPLOAD',
                      'POPULAR_FALLBACK',
                      'OTHER',
                      'POPULAR_REGION',
                      'TWO_TOWER',
                    ],
                    default: 'OTHER',
                  },
                },
                doc: 'Every candidate source that proposed the video (at least one).',
              },
            ],
          },
        },
        doc: 'The recommended videos, best first; at most the requested count.',
      },
      {
        name: 'degraded',
        type: 'boolean',
        doc: 'True when the list is a fallback (e.g. popular in region) because features were missing or a step failed or ran out of time.',
      },
      {
        name: 'degradedReason',
        type: ['null', 'string'],
        default: null,
        doc: 'Why the reply is degraded (e.g. unknown user, feature state unavailable, deadline); null when not degraded.',
      },
      {
        name: 'modelVersion',
        type: 'string',
        doc: 'Version of the recommender that produced the list; copied into the impressions it logs.',
      },
      {
        name: 'servedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the server produced the reply, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
