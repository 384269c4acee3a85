import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';

import { LatencyGuard, type GuardSwitch } from '../../pipelines/recommender/latencyGuard.js';

/**
 * The latency guard's switches as Prometheus metrics: `reelstream_ranking_mode_switches_total`
 * (by the mode switched to) and `reelstream_ranking_simplified` (1 while the simplified ranking
 * is served). Created unregistered: the serving job exists before the process's registry
 * (jobProcess.ts), which registers them when it starts.
 */
export class RankingGuardMetrics {
  readonly switches = new Counter({
    name: 'reelstream_ranking_mode_switches_total',
    help: 'Switches of the ranking stage between the model and the simplified ranking (latency guard)',
    labelNames: ['to'],
    registers: [],
  });
  readonly simplified = new Gauge({
    name: 'reelstream_ranking_simplified',
    help: '1 while the latency guard serves the simplified ranking (the ranking P99 was over budget)',
    registers: [],
  });

  registerIn(registry: Registry): void {
    registry.registerMetric(this.switches);
    registry.registerMetric(this.simplified);
  }

  observe(event: GuardSwitch): void {
    this.switches.inc({ to: event.to });
    this.simplified.set(event.to === 'SIMPLIFIED' ? 1 : 0);
  }
}

/**
 * The serving job's latency guard: every switch logged (a warning when the model is held back,
 * info when it is back) and counted in `metrics`, then told to `onSwitch` (the demo prints it).
 */
export function servingLatencyGuard(options: {
  readonly logger: Logger;
  readonly budgetMs?: number;
  readonly metrics?: RankingGuardMetrics;
  readonly onSwitch?: (event: GuardSwitch) => void;
}): LatencyGuard {
  return new LatencyGuard({
    ...(options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs }),
    onSwitch: (event) => {
      const fields = { p99Ms: event.p99Ms, budgetMs: event.budgetMs, samples: event.samples };
      if (event.to === 'SIMPLIFIED') {
        options.logger.warn(
          fields,
          `ranking: P99 ${event.p99Ms.toFixed(1)} ms over its budget of ${event.budgetMs} ms: serving the simplified ranking, probing the model`,
        );
      } else {
        options.logger.info(
          fields,
          `ranking: ${event.samples} probes within ${event.budgetMs} ms (slowest ${event.p99Ms.toFixed(1)} ms): the model ranks again`,
        );
      }
      options.metrics?.observe(event);
      options.onSwitch?.(event);
    },
  });
}
