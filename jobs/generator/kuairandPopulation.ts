import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import { column, readCsvTable } from './csvTable.js';
import {
  creatorsByCategory,
  defaultRegions,
  favouriteCreatorsFor,
  interestProfile,
  sampleDurationMs,
  sampleQuality,
  type Population,
  type SimCreator,
  type SimUser,
  type SimVideo,
} from './population.js';

/** The two KuaiRand-Pure tables the generator reads. */
export const kuairandFiles = {
  users: 'user_features_pure.csv',
  videos: 'video_features_basic_pure.csv',
} as const;

/** Where the shared data sets live next to the repository. */
export const defaultKuairandDir = join(repoRoot, '..', 'shared', 'data', 'kuairand-pure-features');

/** Whether `dir` holds both KuaiRand tables. */
export function hasKuairand(dir: string): boolean {
  return existsSync(join(dir, kuairandFiles.users)) && existsSync(join(dir, kuairandFiles.videos));
}

const day = 24 * 3_600_000;
/** The day after the last `upload_dt` in the table: video ages are kept relative to it. */
const kuairandEpoch = Date.UTC(2022, 3, 12);

/** Relative request rate per `user_active_degree`. */
const activityByDegree: Readonly<Record<string, number>> = {
  full_active: 4,
  high_active: 2.5,
  middle_active: 1.5,
  '30day_retention': 1,
  '2_14_day_new': 1,
  day_new: 0.8,
  low_active: 0.6,
  single_low_active: 0.3,
  UNKNOWN: 1,
};

/**
 * The catalogue and users of KuaiRand-Pure (`video_features_basic_pure.csv`,
 * `user_features_pure.csv`). KuaiRand has no interests, regions or quality, so the simulation
 * derives them (documented in docs/generator.md): a video's category is its first `tag`, its
 * other tags are tags; its duration is `video_duration` (sampled when empty); its age keeps
 * `upload_dt` relative to 2022-04-12; creators are `author_id`s, placed in a region by a hash.
 * A user's activity follows `user_active_degree`; their region is `onehot_feat2` (50 encrypted
 * values) hashed onto the regions; users with equal `onehot_feat1/9/10` share a cohort interest
 * profile, mixed with an individual one.
 */
export function kuairandPopulation(options: {
  dir: string;
  seed: number;
  startTime: number;
}): Population {
  const random = seededRandom(options.seed ^ 0x5eed_0002);
  const regions = defaultRegions.map((r) => r.name);
  const videoTable = readCsvTable(join(options.dir, kuairandFiles.videos), [
    'video_id',
    'author_id',
    'video_type',
    'upload_dt',
    'video_duration',
    'tag',
  ]);
  const userTable = readCsvTable(join(options.dir, kuairandFiles.users), [
    'user_id',
    'user_active_degree',
    'onehot_feat1',
    'onehot_feat2',
    'onehot_feat9',
    'onehot_feat10',
  ]);

  const videoId = column(videoTable, 'video_id');
  const authorId = column(videoTable, 'author_id');
  const videoType = column(videoTable, 'video_type');
  const uploadDate = column(videoTable, 'upload_dt');
  const duration = column(videoTable, 'video_duration');
  const tag = column(videoTable, 'tag');

  const categoryCounts = new Map<string, number>();
  const parsed = videoTable.rows.map((row) => {
    const tags = tag(row)
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const category = `kr-${tags[0] ?? 'none'}`;
    categoryCounts.set(category, (categoryCounts.get(category) ?? 0) + 1);
    return { row, category, tags: tags.slice(1).map((t) => `kr-${t}`) };
  });
  const categories = [...categoryCounts.keys()].sort(
    (a, b) => (categoryCounts.get(b) ?? 0) - (categoryCounts.get(a) ?? 0) || a.localeCompare(b),
  );
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const categoryWeights = categories.map((c) => (categoryCounts.get(c) ?? 0) / parsed.length);

  const creatorStats = new Map<string, { homeCategory: number; videos: number }>();
  const videos: SimVideo[] = parsed.map(({ row, category, tags }) => {
    const creatorId = `kc-${authorId(row)}`;
    const index = categoryIndex.get(category) ?? 0;
    const stats = creatorStats.get(creatorId) ?? { homeCategory: index, videos: 0 };
    stats.videos++;
    creatorStats.set(creatorId, stats);
    const ms = Number(duration(row));
    const uploaded = Date.parse(`${uploadDate(row)}T00:00:00Z`);
    const ageMs =
      (Number.isFinite(uploaded) ? Math.max(0, kuairandEpoch - uploaded) : 2 * day) -
      random() * day;
    return {
      id: `kv-${videoId(row)}`,
      creatorId,
      durationMs: duration(row) !== '' && ms > 0 ? Math.round(ms) : sampleDurationMs(random),
      categoryIndex: index,
      tags,
      region: regions[hash(creatorId) % regions.length] ?? 'us-east',
      uploadTime: options.startTime - Math.max(60_000, Math.round(ageMs)),
      quality: sampleQuality(random) * (videoType(row) === 'AD' ? 0.6 : 1),
    };
  });
  const creators: SimCreator[] = [...creatorStats].map(([id, stats]) => ({
    id,
    region: regions[hash(id) % regions.length] ?? 'us-east',
    homeCategory: stats.homeCategory,
    productivity: stats.videos,
  }));

  const byCategory = creatorsByCategory(creators);
  const userId = column(userTable, 'user_id');
  const degree = column(userTable, 'user_active_degree');
  const feat = (name: string): ((row: readonly string[]) => string) => column(userTable, name);
  const [feat1, feat2, feat9, feat10] = [
    feat('onehot_feat1'),
    feat('onehot_feat2'),
    feat('onehot_feat9'),
    feat('onehot_feat10'),
  ];
  const cohorts = new Map<string, Float64Array>();
  const users: SimUser[] = userTable.rows.map((row) => {
    const cohortKey = `${feat1(row)}|${feat9(row)}|${feat10(row)}`;
    let cohort = cohorts.get(cohortKey);
    if (cohort === undefined) {
      cohort = interestProfile(seededRandom(options.seed ^ hash(cohortKey)), categoryWeights);
      cohorts.set(cohortKey, cohort);
    }
    const interests = mixProfiles(cohort, interestProfile(random, categoryWeights));
    return {
      id: `ku-${userId(row)}`,
      region: regions[hash(`region:${feat2(row)}`) % regions.length] ?? 'us-east',
      interests,
      favouriteCreators: favouriteCreatorsFor(random, { interests }, byCategory),
      activity: activityByDegree[degree(row)] ?? 1,
    };
  });
  return {
    source: `kuairand:${options.dir}`,
    categories,
    categoryWeights,
    regions,
    creators,
    users,
    videos,
  };
}

/** 0.6 × cohort + 0.4 × individual, rescaled so the favourite category has interest 1. */
function mixProfiles(cohort: Float64Array, own: Float64Array): Float64Array {
  const mixed = new Float64Array(cohort.length);
  let max = 0;
  for (let i = 0; i < mixed.length; i++) {
    const value = 0.6 * (cohort[i] ?? 0) + 0.4 * (own[i] ?? 0);
    mixed[i] = value;
    max = Math.max(max, value);
  }
  for (let i = 0; i < mixed.length; i++) {
    mixed[i] = (mixed[i] ?? 0) / (max || 1);
  }
  return mixed;
}

/** FNV-1a, 32 bits: a stable hash of a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
