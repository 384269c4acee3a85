// Generated from schemas/trendingList.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** What a trending list is computed over. */
export type TrendingScope = 'REGION' | 'CATEGORY';

/** One video of a trending list. */
export interface TrendingItem {
  /** Id of the video. */
  readonly videoId: string;
  /** Trending score the list is ordered by (higher first), e.g. views in the window. */
  readonly score: number;
  /** Playbacks started in the window. */
  readonly views: number;
}

/** The top-K videos of one region or one category over the last hour. Keyed by `region:<region>` or `category:<category>` on a compacted one-partition topic (few keys; every serving task reads it whole as a global table). */
export interface TrendingList {
  /** Whether the list is for a region or a category. */
  readonly scope: TrendingScope;
  /** The region (e.g. eu-west) or category (e.g. cat-07) the list is for. */
  readonly scopeValue: string;
  /** Length of the window the scores are counted over, in milliseconds (3,600,000 for the last hour). */
  readonly windowMs: number;
  /** The top-K videos, best first. */
  readonly items: readonly TrendingItem[];
  /** Event time the window ends at, Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link TrendingList}, as registered in the schema registry. */
export const trendingListSchema: AvroSchema<TrendingList> = {
  name: 'reelstream.features.TrendingList',
  definition: {
    type: 'record',
    name: 'TrendingList',
    namespace: 'reelstream.features',
    doc: 'The top-K videos of one region or one category over the last hour. Keyed by `region:<region>` or `category:<category>` on a compacted one-partition topic (few keys; every serving task reads it whole as a global table).',
    fields: [
      {
        name: 'scope',
        type: {
          type: 'enum',
          name: 'TrendingScope',
          doc: 'What a trending list is computed over.',
          symbols: ['REGION', 'CATEGORY'],
        },
        doc: 'Whether the list is for a region or a category.',
      },
      {
        name: 'scopeValue',
        type: 'string',
        doc: 'The region (e.g. eu-west) or category (e.g. cat-07) the list is for.',
      },
      {
        name: 'windowMs',
        type: 'long',
        doc: 'Length of the window the scores are counted over, in milliseconds (3,600,000 for the last hour).',
      },
      {
        name: 'items',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'TrendingItem',
            doc: 'One video of a trending list.',
            fields: [
              { name: 'videoId', type: 'string', doc: 'Id of the video.' },
              {
                name: 'score',
                type: 'double',
                doc: 'Trending score the list is ordered by (higher first), e.g. views in the window.',
              },
              { name: 'views', type: 'long', doc: 'Playbacks started in the window.' },
            ],
          },
        },
        doc: 'The top-K videos, best first.',
      },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time the window ends at, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
