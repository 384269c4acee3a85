import { seededRandom } from '../../operators/support/seededRandom.js';
import { clamp, exponential, zipfWeight } from './distributions.js';
import {
  creatorsByCategory,
  defaultRegions,
  drawIndex,
  favouriteCreatorsFor,
  interestProfile,
  sampleDurationMs,
  sampleQuality,
  type Population,
  type SimCreator,
  type SimUser,
  type SimVideo,
} from './population.js';

/** Sizes of the built-in population at `--scale 1`. */
export const fullScale = { users: 1_000_000, videos: 2_000_000, categories: 24 } as const;

const day = 24 * 3_600_000;

/**
 * The population used when no KuaiRand tables are given: `1,000,000 × scale` users and
 * `2,000,000 × scale` videos (at least 100 and 200), 24 categories with Zipf(0.8) popularity,
 * one creator per 10 videos with Zipf(1) productivity, videos uploaded over the last 60 days.
 */
export function builtInPopulation(options: {
  scale: number;
  seed: number;
  startTime: number;
}): Population {
  const random = seededRandom(options.seed ^ 0x5eed_0001);
  const categories = Array.from(
    { length: fullScale.categories },
    (_, i) => `cat-${String(i).padStart(2, '0')}`,
  );
  const categoryWeights = normalised(categories.map((_, i) => zipfWeight(i, 0.8)));
  const regionNames = defaultRegions.map((r) => r.name);
  const regionWeights = defaultRegions.map((r) => r.weight);
  const videoCount = Math.max(200, Math.round(fullScale.videos * options.scale));
  const userCount = Math.max(100, Math.round(fullScale.users * options.scale));

  const creators: SimCreator[] = Array.from(
    { length: Math.max(10, Math.round(videoCount / 10)) },
    (_, i) => ({
      id: `c-${i}`,
      region: regionNames[drawIndex(random, regionWeights)] ?? 'us-east',
      homeCategory: drawIndex(random, categoryWeights),
      productivity: zipfWeight(i, 1),
    }),
  );
  const creatorCdf = cumulative(creators.map((c) => c.productivity));
  const videos: SimVideo[] = [];
  for (let i = 0; i < videoCount; i++) {
    const creator = creators[searchCdf(creatorCdf, random())] ?? creators[0];
    if (creator === undefined) {
      break;
    }
    const categoryIndex =
      random() < 0.8 ? creator.homeCategory : drawIndex(random, categoryWeights);
    videos.push({
      id: `v-${i}`,
      creatorId: creator.id,
      durationMs: sampleDurationMs(random),
      categoryIndex,
      tags: builtInTags(random, categories[categoryIndex] ?? 'cat'),
      region: creator.region,
      uploadTime: options.startTime - Math.round(clamp(exponential(random, 10 * day), 0, 60 * day)),
      quality: sampleQuality(random),
    });
  }

  const byCategory = creatorsByCategory(creators);
  const users: SimUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const interests = interestProfile(random, categoryWeights);
    users.push({
      id: `u-${i}`,
      region: regionNames[drawIndex(random, regionWeights)] ?? 'us-east',
      interests,
      favouriteCreators: favouriteCreatorsFor(random, { interests }, byCategory),
      activity: Math.exp(normalish(random)),
    });
  }
  return {
    source: 'built-in',
    categories,
    categoryWeights,
    regions: regionNames,
    creators,
    users,
    videos,
  };
}

/** Zero to three tags, e.g. `cat-03/t4`. */
export function builtInTags(random: () => number, category: string): string[] {
  const count = Math.floor(random() * 4);
  const tags = new Set<string>();
  for (let i = 0; i < count; i++) {
    tags.add(`${category}/t${Math.floor(random() * 10)}`);
  }
  return [...tags];
}

function normalised(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function cumulative(weights: readonly number[]): Float64Array {
  const cdf = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += w;
    cdf[i] = total;
  });
  for (let i = 0; i < cdf.length; i++) {
    cdf[i] = (cdf[i] ?? 0) / total;
  }
  return cdf;
}

function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] ?? 1) <= u) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** Roughly normal with standard deviation 0.8 (sum of uniforms; cheap, bounded). */
function normalish(random: () => number): number {
  return (random() + random() + random() + random() - 2) * 1.4;
}
