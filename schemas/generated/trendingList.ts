// Generated from schemas/trendingList.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** What a list is computed over: a region's or a category's views in the last hour, a region's views decayed with a half-life of days (POPULAR), or a region's newest uploads (FRESH). */
export type TrendingScope = 'REGION' | 'CATEGORY' | 'FRESH' | 'POPULAR';

/** One video of a trending list. */
export interface TrendingItem {
  /** Id of the video. */
  readonly videoId: string;
  /** Trending score the list is ordered by (higher first), e.g. views in the window; for POPULAR, views and completions decayed to updatedTime. */
  readonly score: number;
  /** Playbacks started in the window (for POPULAR: all playbacks counted, undecayed). */
  readonly views: number;
}

/** The top-K videos of one region or one category over the last hour, a region's most popular videos with exponentially decayed counts (weeks, not an hour), or a region's newest uploads. Keyed by `region:<region>`, `category:<category>`, `popular:<region>` or `fresh:<region>` on a compacted one-partition topic (few keys; every serving task reads it whole as a global table). */
export interface TrendingList {
  /** Whether the list is trending in a region, trending in a category, the newest uploads of a region, or popular in a region over weeks. */
  readonly scope: TrendingScope;
  /** The region (e.g. eu-west) or category (e.g. cat-07) the list is for. */
  readonly scopeValue: string;
  /** Length of the window the scores are counted over, in milliseconds (3,600,000 for the last hour); for POPULAR, the half-life of the decay. */
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
    doc: "The top-K videos of one region or one category over the last hour, a region's most popular videos with exponentially decayed counts (weeks, not an hour), or a region's newest uploads. Keyed by `region:<region>`, `category:<category>`, `popular:<region>` or `fresh:<region>` on a compacted one-partition topic (few keys; every serving task reads it whole as a global table).",
    fields: [
      {
        name: 'scope',
        type: {
          type: 'enum',
          name: 'TrendingScope',
          doc: "What a list is computed over: a region's or a category's views in the last hour, a region's views decayed with a half-life of days (POPULAR), or a region's newest uploads (FRESH).",
          symbols: ['REGION', 'CATEGORY', 'FRESH', 'POPULAR'],
        },
        doc: 'Whether the list is trending in a region, trending in a category, the newest uploads of a region, or popular in a region over weeks.',
      },
      {
        name: 'scopeValue',
        type: 'string',
        doc: 'The region (e.g. eu-west) or category (e.g. cat-07) the list is for.',
      },
      {
        name: 'windowMs',
        type: 'long',
        doc: 'Length of the window the scores are counted over, in milliseconds (3,600,000 for the last hour); for POPULAR, the half-life of the decay.',
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
                doc: 'Trending score the list is ordered by (higher first), e.g. views in the window; for POPULAR, views and completions decayed to updatedTime.',
              },
              {
                name: 'views',
                type: 'long',
                doc: 'Playbacks started in the window (for POPULAR: all playbacks counted, undecayed).',
              },
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
