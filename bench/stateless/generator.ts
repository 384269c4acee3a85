import { seededUint32 } from '../../operators/support/seededRandom.js';
import type { BenchWatchEvent } from './generated/benchEvent.js';

/**
 * Deterministic input of bench/stateless: record `i` is always the same event, so the expected
 * output count is exact and the input topic can be produced once and reused by every run.
 */

/** Field values of `bench/stateless/benchEvent.avsc`, generated from it. */
export type BenchEvent = BenchWatchEvent;

/** Bump when the generated data changes: the input topic name carries it, so stale data is never reused. */
export const generatorVersion = 1;

const categories = [
  'music',
  'gaming',
  'comedy',
  'education',
  'sports',
  'news',
  'howto',
  'travel',
  'food',
  'science',
  'film',
  'autos',
  'pets',
  'fashion',
  'fitness',
  'tech',
] as const;
const regions = [
  'eu-west-1',
  'eu-central-1',
  'us-east-1',
  'us-west-2',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
] as const;
const countries = ['US', 'GB', 'DE', 'FR', 'BR', 'IN', 'JP', 'AU', 'CA', 'ES', 'IT', 'MX'] as const;
const languages = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'pt-BR', 'hi-IN', 'ja-JP', 'es-ES'] as const;
const devices = [
  'android-phone',
  'ios-phone',
  'web-desktop',
  'smart-tv',
  'android-tablet',
  'ios-tablet',
] as const;
const appVersions = ['5.12.3', '5.12.4', '5.13.0', '5.11.9'] as const;
const networks = ['wifi', 'cellular', 'ethernet'] as const;
const referrers = [
  'home_feed',
  'search',
  'related',
  'subscriptions',
  'notification',
  'external',
] as const;

const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const hex = '0123456789abcdef';
/** 2026-01-01T00:00:00Z; event i happens i ms later. */
export const epochMs = 1_767_225_600_000;

/** The project's seeded PRNG, seeded from the record index and a stream number. */
export class Random {
  /** Uniform in [0, 2^32). */
  readonly next: () => number;

  constructor(index: number, stream: number) {
    this.next = seededUint32(
      Math.imul(index ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b),
    );
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 4_294_967_296) * n);
  }

  pick<TItem>(items: readonly TItem[]): TItem {
    const item = items[this.below(items.length)];
    if (item === undefined) {
      throw new Error('pick from an empty list');
    }
    return item;
  }

  chars(alphabetChars: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) {
      out += alphabetChars.charAt(this.below(alphabetChars.length));
    }
    return out;
  }
}

/** Fixed-width id from a number, e.g. idOf('usr_', 12345, 8) = 'usr_000009ix'. */
export function idOf(prefix: string, value: number, width: number): string {
  return prefix + value.toString(36).padStart(width, '0');
}

/**
 * The timing of event `index`: computed first and from their own random stream, so the expected
 * output count ({@link expectedKept}) needs no strings. About 15% of views are abandoned in the
 * first 10% of the video.
 */
export function watchTiming(index: number): { watchedMs: number; durationMs: number } {
  const random = new Random(index, 0);
  const durationMs = 15_000 + random.below(585_000);
  const abandoned = random.below(100) < 15;
  const fraction = abandoned ? random.below(100) / 1000 : 0.1 + random.below(900) / 1000;
  return { watchedMs: Math.floor(durationMs * fraction), durationMs };
}

/** A YouTube-like id, the same for every event of one video: vid_ + 11 characters. */
export function videoIdOf(video: number): string {
  return `vid_${video.toString(36).padStart(4, '0')}${new Random(video, 2).chars(base64url, 7)}`;
}

/** Event `index` of the bench input (0-based). */
export function benchEvent(index: number): BenchEvent {
  const { watchedMs, durationMs } = watchTiming(index);
  const random = new Random(index, 1);
  const video = random.below(200_000);
  const uuid = random.chars(hex, 32);
  return {
    eventId: `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-4${uuid.slice(13, 16)}-a${uuid.slice(17, 20)}-${uuid.slice(20)}`,
    userId: idOf('usr_', random.below(5_000_000), 8),
    videoId: videoIdOf(video),
    sessionId: random.chars(hex, 32),
    creatorId: idOf('crt_', video % 20_000, 7),
    category: random.pick(categories),
    region: random.pick(regions),
    country: random.pick(countries),
    language: random.pick(languages),
    device: random.pick(devices),
    appVersion: random.pick(appVersions),
    network: random.pick(networks),
    referrer: random.pick(referrers),
    watchedMs,
    durationMs,
    position: random.below(40),
    autoplay: random.below(4) === 0,
    eventTime: epochMs + index,
  };
}
