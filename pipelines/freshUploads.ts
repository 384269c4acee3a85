import { avroSerde, jsonSerde, stringSerde, type Stream } from '../operators/index.js';
import type { TrendingItem, TrendingList } from '../schemas/generated/trendingList.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import { topicCatalog, trendingKey } from '../schemas/topics.js';

/** Uploads kept per region: the recommender takes its fresh candidates from these. */
export const freshUploadsPerRegion = 50;

interface RegionUploads {
  readonly region: string;
  /** Newest first by upload time, one entry per video. */
  readonly uploads: readonly { readonly videoId: string; readonly uploadTime: number }[];
}

/**
 * The newest uploads of each region, published to `features.trending` under
 * `fresh:<region>` (scope FRESH): the recommender's "fresh uploads" candidates, which give new
 * videos exposure before any popularity signal exists (the seed's cold start). The catalogue
 * is re-keyed by region (one repartition); an update of a video already listed (a metadata
 * change) keeps one entry, at its upload time. Items carry the upload time as their score.
 */
export function freshUploads(catalog: Stream<string, VideoUpload>): Stream<string, TrendingList> {
  return catalog
    .groupBy((record) => record.value.region, {
      name: 'fresh-uploads-by-region',
      serdes: { key: stringSerde, value: avroSerde(topicCatalog.videoCatalog.value) },
    })
    .aggregate<RegionUploads>({
      name: 'fresh-uploads',
      initializer: () => ({ region: '', uploads: [] }),
      adder: (state, video) => ({
        region: video.region,
        uploads: [
          { videoId: video.videoId, uploadTime: video.uploadTime },
          ...state.uploads.filter((u) => u.videoId !== video.videoId),
        ]
          .sort((a, b) => b.uploadTime - a.uploadTime || a.videoId.localeCompare(b.videoId))
          .slice(0, freshUploadsPerRegion),
      }),
      serde: jsonSerde<RegionUploads>(),
    })
    .toStream()
    .map(
      (record) =>
        record.withKey(trendingKey('FRESH', record.value.region)).withValue<TrendingList>({
          scope: 'FRESH',
          scopeValue: record.value.region,
          windowMs: 0,
          items: record.value.uploads.map((u): TrendingItem => ({
            videoId: u.videoId,
            score: u.uploadTime,
            views: 0,
          })),
          updatedTime: record.value.uploads[0]?.uploadTime ?? record.timestamp,
        }),
      { name: 'fresh-uploads-list' },
    );
}
