import { clamp, type Random } from './distributions.js';
import type { SimUser, SimVideo } from './population.js';

/**
 * How much a user likes a video, in [0, 1]: 0.6 × interest in its category, 0.25 if its creator
 * is a favourite, 0.15 × its latent quality.
 */
export function affinity(user: SimUser, video: SimVideo): number {
  const interest = user.interests[video.categoryIndex] ?? 0;
  const creator = user.favouriteCreators.has(video.creatorId) ? 1 : 0;
  return clamp(0.6 * interest + 0.25 * creator + 0.15 * video.quality, 0, 1);
}

/**
 * The position-based click model: P(click) = P(examined | position) × P(attractive | affinity),
 * with P(examined) = (position + 1)^-exponent (1 at the top slot) and
 * P(attractive) = 0.04 + 0.6 × affinity^1.5.
 */
export function clickProbability(options: {
  position: number;
  affinity: number;
  positionBiasExponent: number;
}): number {
  const examined = Math.pow(options.position + 1, -options.positionBiasExponent);
  return examined * (0.04 + 0.6 * Math.pow(options.affinity, 1.5));
}

/**
 * Watch time of one playback, as a ratio of the video's length. The playback completes with a
 * probability that rises with affinity and falls with length (0.05 + 0.75 × affinity^1.2 ×
 * (0.4 + 0.6 / (1 + seconds / 180))); a completed playback is replayed in part with
 * probability 0.15 × affinity. Otherwise the user swipes away after a ratio drawn as
 * U^(1 / k) with k = 0.25 + 2.5 × affinity (mean k / (k + 1): 0.2 at affinity 0, 0.73 at 1).
 */
export function watchRatio(
  random: Random,
  options: { affinity: number; durationMs: number },
): number {
  const lengthFactor = 1 / (1 + options.durationMs / 180_000);
  const completes = 0.05 + 0.75 * Math.pow(options.affinity, 1.2) * (0.4 + 0.6 * lengthFactor);
  if (random() < clamp(completes, 0, 0.95)) {
    return random() < 0.15 * options.affinity ? 1 + random() : 1;
  }
  const k = 0.25 + 2.5 * options.affinity;
  return Math.pow(random(), 1 / k) * 0.99;
}

/** Probabilities of explicit feedback after a playback. */
export interface EngagementOdds {
  readonly like: number;
  readonly share: number;
  readonly follow: number;
  readonly dislike: number;
}

/**
 * Likes, shares and follows rise with affinity (squared, cubed) and with how much was watched;
 * dislikes come from low affinity, mostly after a quick swipe.
 */
export function engagementOdds(options: {
  affinity: number;
  ratio: number;
  favouriteCreator: boolean;
}): EngagementOdds {
  const a = options.affinity;
  const watched = Math.min(options.ratio, 1);
  return {
    like: 0.01 + 0.3 * a * a * watched,
    share: 0.002 + 0.06 * a * a * a * watched,
    follow: (0.002 + 0.05 * a * a * watched) * (options.favouriteCreator ? 0.3 : 1),
    dislike: options.ratio < 0.25 ? 0.08 * (1 - a) * (1 - a) : 0.005 * (1 - a),
  };
}

/** Probability that the user dismisses ("not interested") a shown video they did not open. */
export function dismissProbability(affinityValue: number): number {
  return 0.012 * (1 - affinityValue) * (1 - affinityValue);
}
