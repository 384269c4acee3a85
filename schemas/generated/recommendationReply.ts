// Generated from schemas/recommendationReply.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** A candidate generator. TWO_TOWER: the learned two-tower retrieval (the user tower, then the nearest videos in the item vector shards). EXPLORATION: the exploration slot (Thompson sampling over fresh videos). CURRENT_VIDEO_NEIGHBOURS: on up-next lists, the nearest videos to the one being watched in the item embedding space. OTHER is the reader default for sources added later, so readers of an older version of this schema read them as OTHER. */
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
  | 'TWO_TOWER'
  | 'EXPLORATION'
  | 'CURRENT_VIDEO_NEIGHBOURS';

/** One recommended video with its score and where it came from. */
export interface RecommendedItem {
  /** Id of the recommended video. */
  readonly videoId: string;
  /** Final score the list is ordered by (higher first); comparable only within one reply. */
  readonly score: number;
  /** Every candidate source that proposed the video (at least one). */
  readonly sources: readonly CandidateSource[];
  /** The ranking model's calibrated click probability for the video at this request, in [0, 1]; null when no model ranked the list (blend or simplified ranking). */
  readonly predictedClick: null | number;
  /** The ranking model's expected watch time in seconds; null when no model ranked the list. */
  readonly predictedWatchSeconds: null | number;
  /** True when the video fills the exploration slot (chosen by Thompson sampling, not by the ranking), so training can use its outcome as unbiased data. */
  readonly explored: boolean;
}

/** How the list was ranked. BLEND: heuristic blend of the retrieval signals (no ranking model loaded). MODEL: the ranking model scored every candidate. SIMPLIFIED: the latency guard tripped (the ranking stage's recent P99 over its budget) and the retrieval scores were served instead. OTHER is the reader default for modes added later. */
export type RankingMode = 'BLEND' | 'MODEL' | 'SIMPLIFIED' | 'OTHER';

/** Where the server's time on one request went, milliseconds. */
export interface StageMillis {
  /** Feature reads and every candidate source, merged. */
  readonly retrieval: number;
  /** Scoring the merged candidates (the model's batch, or the blend). */
  readonly ranking: number;
  /** Diversity re-ranking (MMR, per-creator cap) and the exploration slot. */
  readonly reranking: number;
  /** From the request's arrival at the serving task to the reply built. */
  readonly total: number;
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
  /** How the list was ranked; see RankingMode. */
  readonly rankingMode: RankingMode;
  /** The server's per-stage time on this request; null from servers that do not measure it. */
  readonly stageMillis: null | StageMillis;
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
                    doc: 'A candidate generator. TWO_TOWER: the learned two-tower retrieval (the user tower, then the nearest videos in the item vector shards). EXPLORATION: the exploration slot (Thompson sampling over fresh videos). CURRENT_VIDEO_NEIGHBOURS: on up-next lists, the nearest videos to the one being watched in the item embedding space. OTHER is the reader default for sources added later, so readers of an older version of this schema read them as OTHER.',
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
                      'EXPLORATION',
                      'CURRENT_VIDEO_NEIGHBOURS',
                    ],
                    default: 'OTHER',
                  },
                },
                doc: 'Every candidate source that proposed the video (at least one).',
              },
              {
                name: 'predictedClick',
                type: ['null', 'double'],
                default: null,
                doc: "The ranking model's calibrated click probability for the video at this request, in [0, 1]; null when no model ranked the list (blend or simplified ranking).",
              },
              {
                name: 'predictedWatchSeconds',
                type: ['null', 'double'],
                default: null,
                doc: "The ranking model's expected watch time in seconds; null when no model ranked the list.",
              },
              {
                name: 'explored',
                type: 'boolean',
                default: false,
                doc: 'True when the video fills the exploration slot (chosen by Thompson sampling, not by the ranking), so training can use its outcome as unbiased data.',
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
        name: 'rankingMode',
        type: {
          type: 'enum',
          name: 'RankingMode',
          doc: "How the list was ranked. BLEND: heuristic blend of the retrieval signals (no ranking model loaded). MODEL: the ranking model scored every candidate. SIMPLIFIED: the latency guard tripped (the ranking stage's recent P99 over its budget) and the retrieval scores were served instead. OTHER is the reader default for modes added later.",
          symbols: ['BLEND', 'MODEL', 'SIMPLIFIED', 'OTHER'],
          default: 'OTHER',
        },
        default: 'BLEND',
        doc: 'How the list was ranked; see RankingMode.',
      },
      {
        name: 'stageMillis',
        type: [
          'null',
          {
            type: 'record',
            name: 'StageMillis',
            doc: "Where the server's time on one request went, milliseconds.",
            fields: [
              {
                name: 'retrieval',
                type: 'double',
                doc: 'Feature reads and every candidate source, merged.',
              },
              {
                name: 'ranking',
                type: 'double',
                doc: "Scoring the merged candidates (the model's batch, or the blend).",
              },
              {
                name: 'reranking',
                type: 'double',
                doc: 'Diversity re-ranking (MMR, per-creator cap) and the exploration slot.',
              },
              {
                name: 'total',
                type: 'double',
                doc: "From the request's arrival at the serving task to the reply built.",
              },
            ],
          },
        ],
        default: null,
        doc: "The server's per-stage time on this request; null from servers that do not measure it.",
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
