import type { GuardSwitch } from '../../pipelines/recommender/latencyGuard.js';
import type {
  RankingMode,
  RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';

interface Sample {
  /** Seconds after the requests started. */
  readonly atSeconds: number;
  readonly mode: RankingMode;
  readonly retrieval: number;
  readonly ranking: number;
  readonly reranking: number;
  /** The server's time the stages do not cover. */
  readonly overhead: number;
  readonly total: number;
  /** Request sent → reply received by the client, over Kafka. */
  readonly endToEnd: number;
}

/** Seconds per bucket of the ranking-mode timeline. */
const bucketSeconds = 10;

/**
 * The funnel's per-stage split as the demo's client sees it: each reply's `stageMillis`
 * (retrieval, ranking, re-ranking, the server's overhead beyond them, its total) beside the
 * request's end-to-end time over Kafka, and how many replies each ranking mode served, over
 * time in 10-s buckets, with the latency guard's switches: issue 23's acceptance item 3.
 */
export class FunnelReport {
  readonly #samples: Sample[] = [];
  /** Replies that fell back to popular-in-region (unknown user, features unreadable). */
  #fallbacks = 0;
  readonly #switches: { atSeconds: number; event: GuardSwitch }[] = [];
  #startedAt = performance.now();

  /** When the requests start: the timeline's (and the injected slowdown's) zero. */
  begin(): void {
    this.#startedAt = performance.now();
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  secondsNow(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }

  record(reply: RecommendationReply, endToEndMs: number): void {
    const stages = reply.stageMillis;
    if (stages === null) {
      return;
    }
    // A fallback never reaches the ranking stage: it is counted, not in the funnel's split.
    if (
      reply.items.length === 0 ||
      // Its items: popular-in-region ones and, in the exploration slot, explored ones.
      reply.items.every((i) => i.explored || i.sources.includes('POPULAR_FALLBACK'))
    ) {
      this.#fallbacks += 1;
      return;
    }
    const { retrieval, ranking, reranking, total } = stages;
    this.#samples.push({
      atSeconds: this.secondsNow(),
      mode: reply.rankingMode,
      retrieval,
      ranking,
      reranking,
      overhead: Math.max(0, total - retrieval - ranking - reranking),
      total,
      endToEnd: endToEndMs,
    });
  }

  switched(event: GuardSwitch): void {
    this.#switches.push({ atSeconds: this.secondsNow(), event });
  }

  summary(): string[] {
    const samples = this.#samples;
    if (samples.length === 0) {
      return [
        `  funnel                   no personalised replies with stage times (${this.#fallbacks} fallbacks)`,
      ];
    }
    const stat = (pick: (s: Sample) => number, of: readonly Sample[] = samples): string => {
      const values = of.map(pick).sort((a, b) => a - b);
      return `P50 ${percentile(values, 50).toFixed(1)} / P99 ${percentile(values, 99).toFixed(1)} ms`;
    };
    const modes = new Map<RankingMode, number>();
    for (const s of samples) {
      modes.set(s.mode, (modes.get(s.mode) ?? 0) + 1);
    }
    const model = samples.filter((s) => s.mode === 'MODEL');
    const e2e = samples.map((s) => s.endToEnd).sort((a, b) => a - b);
    const p99 = percentile(e2e, 99);
    const lines = [
      `  funnel per stage         ${samples.length} personalised replies (server's stageMillis; client's end to end over Kafka); ${this.#fallbacks} popular-in-region fallbacks left out:`,
      `    retrieval              ${stat((s) => s.retrieval)}`,
      `    ranking                ${stat((s) => s.ranking)} (MODEL replies only: ${model.length === 0 ? '-' : stat((s) => s.ranking, model)})`,
      `    re-ranking             ${stat((s) => s.reranking)}`,
      `    server overhead        ${stat((s) => s.overhead)} (total minus the stages)`,
      `    server total           ${stat((s) => s.total)}`,
      `    Kafka and client       ${stat((s) => Math.max(0, s.endToEnd - s.total))} (end to end minus server total)`,
      `    end to end             ${stat((s) => s.endToEnd)}`,
      `  ranking modes            ${(['MODEL', 'SIMPLIFIED', 'BLEND', 'OTHER'] as const)
        .filter((m) => (modes.get(m) ?? 0) > 0)
        .map((m) => `${m} ${modes.get(m) ?? 0}`)
        .join(', ')}`,
      `  verdict (issue 23, item 3): funnel P99 end to end ${p99.toFixed(1)} ms ${p99 <= 200 ? '≤' : '>'} 200 ms: ${p99 <= 200 ? 'HOLDS' : 'DOES NOT HOLD'}`,
    ];
    for (const { atSeconds, event } of this.#switches) {
      lines.push(
        event.to === 'SIMPLIFIED'
          ? `  latency guard at ${atSeconds.toFixed(1)} s: SIMPLIFIED (ranking P99 ${event.p99Ms.toFixed(1)} ms over ${event.budgetMs} ms, ${event.samples} rankings)`
          : `  latency guard at ${atSeconds.toFixed(1)} s: MODEL again (${event.samples} probes within ${event.budgetMs} ms, slowest ${event.p99Ms.toFixed(1)} ms)`,
      );
    }
    lines.push(`  ranking mode by ${bucketSeconds} s of requests (MODEL/SIMPLIFIED/BLEND):`);
    const buckets = new Map<number, Map<RankingMode, number>>();
    for (const s of samples) {
      const bucket = Math.floor(s.atSeconds / bucketSeconds);
      const counts = buckets.get(bucket) ?? new Map<RankingMode, number>();
      counts.set(s.mode, (counts.get(s.mode) ?? 0) + 1);
      buckets.set(bucket, counts);
    }
    const row: string[] = [];
    for (const [bucket, counts] of [...buckets].sort(([a], [b]) => a - b)) {
      row.push(
        `${bucket * bucketSeconds}s ${counts.get('MODEL') ?? 0}/${counts.get('SIMPLIFIED') ?? 0}/${counts.get('BLEND') ?? 0}`,
      );
      if (row.length === 6) {
        lines.push(`    ${row.join('  ')}`);
        row.length = 0;
      }
    }
    if (row.length > 0) {
      lines.push(`    ${row.join('  ')}`);
    }
    return lines;
  }
}

/** Nearest rank; NaN when empty. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
