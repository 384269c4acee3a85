import { seededRandom } from '../../operators/support/seededRandom.js';

/** One synthetic player heartbeat, shaped like schemas/watchHeartbeat.avsc. */
export interface HeartbeatEvent {
  readonly userId: string;
  readonly videoId: string;
  readonly sessionId: string;
  readonly watchedMs: number;
  /** Epoch milliseconds, as Kafka record timestamps. */
  readonly eventTime: number;
}

/**
 * A seeded stream of heartbeats with Zipf-distributed video popularity (a few videos get most
 * views, as on any video platform). The recommender's full traffic generator replaces this.
 */
export function* heartbeatTraffic(options: {
  events: number;
  users: number;
  videos: number;
  seed: number;
  /** Event time of the first heartbeat; one every 50 ms after it. */
  startTime: number;
}): Generator<HeartbeatEvent> {
  const random = seededRandom(options.seed);
  const zipf = zipfSampler(options.videos, 1.1, random);
  for (let i = 0; i < options.events; i++) {
    const user = Math.floor(random() * options.users);
    yield {
      userId: `user-${user}`,
      videoId: `video-${zipf()}`,
      sessionId: `session-${user}-${Math.floor(i / 4)}`,
      watchedMs: 10_000 * (1 + (i % 4)),
      eventTime: options.startTime + i * 50,
    };
  }
}

/** Inverse-CDF sampling over ranks 0..n-1 with weight 1/(rank+1)^s. */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / Math.pow(rank + 1, s);
    cdf[rank] = total;
  }
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? total) < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
}
