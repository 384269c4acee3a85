import { Counter, Histogram, type Registry } from 'prom-client';

import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';

/**
 * What the re-ranking stage served, as Prometheus metrics:
 * `reelstream_serving_intra_list_diversity` (a histogram of each reply's mean pairwise
 * 1 − similarity, pipelines/recommender/mmr.ts) and `reelstream_serving_positions_total` (by
 * `explored`: the exploration slot's share is explored over all). Created unregistered, like
 * the latency guard's (rankingGuardMetrics.ts): the process's registry registers them. Also
 * kept as running totals for the demo's summary.
 */
export class RerankingMetrics {
  readonly diversity = new Histogram({
    name: 'reelstream_serving_intra_list_diversity',
    help: 'Intra-list diversity of each reply with two items or more: mean pairwise 1 - cosine of the item vectors (category/creator similarity where a vector is missing)',
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [],
  });
  readonly positions = new Counter({
    name: 'reelstream_serving_positions_total',
    help: 'Positions served, by whether the exploration slot filled them (explored="true")',
    labelNames: ['explored'],
    registers: [],
  });
  private replies = 0;
  private diversitySum = 0;
  private explored = 0;
  private served = 0;

  registerIn(registry: Registry): void {
    registry.registerMetric(this.diversity);
    registry.registerMetric(this.positions);
  }

  /** Counts one reply (the serving pipeline's `onReply`). */
  observe(reply: RecommendationReply, quality: { readonly diversity: number }): void {
    if (reply.items.length >= 2) {
      this.diversity.observe(quality.diversity);
      this.replies += 1;
      this.diversitySum += quality.diversity;
    }
    const explored = reply.items.filter((item) => item.explored).length;
    if (explored > 0) {
      this.positions.inc({ explored: 'true' }, explored);
    }
    if (reply.items.length > explored) {
      this.positions.inc({ explored: 'false' }, reply.items.length - explored);
    }
    this.explored += explored;
    this.served += reply.items.length;
  }

  /** The totals so far: mean diversity over replies of two items or more, explored positions. */
  totals(): { replies: number; meanDiversity: number; explored: number; positions: number } {
    return {
      replies: this.replies,
      meanDiversity: this.replies === 0 ? 0 : this.diversitySum / this.replies,
      explored: this.explored,
      positions: this.served,
    };
  }
}
