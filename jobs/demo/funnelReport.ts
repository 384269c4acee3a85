import type { ArrivalDelaySummary } from '../../operators/monitoring/arrivalDelays.js';
import type { GuardSwitch } from '../../pipelines/recommender/latencyGuard.js';
import type {
  RankingMode,
  RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';

import { percentileOf, SampleColumn } from './sampleColumn.js';

/** A sample's stages, one column each (sampleColumn.ts: 4 bytes a value, not an object). */
const stageNames = [
  'retrieval',
  'ranking',
  'reranking',
  /** The server's time the stages do not cover. */
  'overhead',
  'total',
  /** Request sent → reply received by the client, over Kafka. */
  'endToEnd',
  /**
   * Reply built (its `servedTime`) → received by the client, on one machine's clock: the way
   * back over Kafka. The way there (request sent → handler started) is the rest of end to end
   * minus the server's total. NaN where the client did not say when it received the reply.
   */
  'back',
] as const;
type Stage = (typeof stageNames)[number];

const modeCodes: readonly RankingMode[] = ['MODEL', 'SIMPLIFIED', 'BLEND'];

/** Seconds per bucket of the ranking-mode timeline. */
const bucketSeconds = 10;

/**
 * The funnel's per-stage split as the demo's client sees it: each reply's `stageMillis`
 * (retrieval, ranking, re-ranking, the server's overhead beyond them, its total) beside the
 * request's end-to-end time over Kafka, and how many replies each ranking mode served, over
 * time in 10-s buckets, with the latency guard's switches: issue 23's acceptance item 3.
 */
export class FunnelReport {
  /** Seconds after the requests started, per sample. */
  readonly #atSeconds = new SampleColumn();
  /** Index in {@link modeCodes} per sample (its length: a mode not listed there). */
  readonly #modes = new SampleColumn();
  readonly #stages = Object.fromEntries(stageNames.map((n) => [n, new SampleColumn()])) as Record<
    Stage,
    SampleColumn
  >;
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

  /** `receivedAtMs`: when the client received the reply (wall clock, as `servedTime`). */
  record(reply: RecommendationReply, endToEndMs: number, receivedAtMs?: number): void {
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
    const values: Record<Stage, number> = {
      retrieval,
      ranking,
      reranking,
      overhead: Math.max(0, total - retrieval - ranking - reranking),
      total,
      endToEnd: endToEndMs,
      back:
        receivedAtMs === undefined
          ? Number.NaN
          : Math.min(Math.max(0, endToEndMs - total), Math.max(0, receivedAtMs - reply.servedTime)),
    };
    this.#atSeconds.push(this.secondsNow());
    const code = modeCodes.indexOf(reply.rankingMode);
    this.#modes.push(code < 0 ? modeCodes.length : code);
    for (const name of stageNames) {
      this.#stages[name].push(values[name]);
    }
  }

  switched(event: GuardSwitch): void {
    this.#switches.push({ atSeconds: this.secondsNow(), event });
  }

  /**
   * The report's lines. `arrival`: the serving job's arrival delays of the request topic
   * (request sent → its fetch delivered to the job), which split the way to the server into
   * Kafka's part and the job's queue after it.
   */
  summary(arrival?: ArrivalDelaySummary): string[] {
    const count = this.#atSeconds.length;
    if (count === 0) {
      return [
        `  funnel per stage         no personalised replies with stage times (${this.#fallbacks} fallbacks)`,
      ];
    }
    const modeOf = (i: number): RankingMode => modeCodes[this.#modes.at(i)] ?? 'OTHER';
    const stat = (sorted: Float32Array): string =>
      `P50 ${percentileOf(sorted, 50).toFixed(1)} / P99 ${percentileOf(sorted, 99).toFixed(1)} ms`;
    const stage = (name: Stage, where?: (i: number) => boolean): string =>
      stat(this.#stages[name].sorted(where));
    const modes = new Map<RankingMode, number>();
    for (let i = 0; i < count; i++) {
      modes.set(modeOf(i), (modes.get(modeOf(i)) ?? 0) + 1);
    }
    const isModel = (i: number): boolean => modeOf(i) === 'MODEL';
    const kafkaAndClient = new Float32Array(count);
    const there: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < count; i++) {
      const outside = Math.max(0, this.#stages.endToEnd.at(i) - this.#stages.total.at(i));
      kafkaAndClient[i] = outside;
      const way = this.#stages.back.at(i);
      if (!Number.isNaN(way)) {
        back.push(way);
        there.push(outside - way);
      }
    }
    const split =
      back.length === 0
        ? []
        : [
            `      to the server        ${stat(Float32Array.from(there).sort())} (request sent → handler started: the client's send, the broker, the serving job's fetch and queue)`,
            ...(arrival === undefined
              ? []
              : [
                  `        to the serving job P50 ${arrival.p50Ms.toFixed(1)} / P99 ${arrival.p99Ms.toFixed(1)} ms, max ${arrival.maxMs.toFixed(0)} ms (request sent → its fetch delivered to the job, the job's arrival delays over its last ${arrival.kept} of ${arrival.records} requests; the rest is the job's queue)`,
                ]),
            `      back to the client   ${stat(Float32Array.from(back).sort())} (reply built → received: the reply's produce, the broker, the client's fetch)`,
          ];
    const p99 = percentileOf(this.#stages.endToEnd.sorted(), 99);
    const lines = [
      `  funnel per stage         ${count} personalised replies (server's stageMillis; client's end to end over Kafka); ${this.#fallbacks} popular-in-region fallbacks left out:`,
      `    retrieval              ${stage('retrieval')}`,
      `    ranking                ${stage('ranking')} (MODEL replies only: ${(modes.get('MODEL') ?? 0) === 0 ? '-' : stage('ranking', isModel)})`,
      `    re-ranking             ${stage('reranking')}`,
      `    server overhead        ${stage('overhead')} (total minus the stages)`,
      `    server total           ${stage('total')}`,
      `    Kafka and client       ${stat(kafkaAndClient.sort())} (end to end minus server total)`,
      ...split,
      `    end to end             ${stage('endToEnd')}`,
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
    for (let i = 0; i < count; i++) {
      const bucket = Math.floor(this.#atSeconds.at(i) / bucketSeconds);
      const counts = buckets.get(bucket) ?? new Map<RankingMode, number>();
      counts.set(modeOf(i), (counts.get(modeOf(i)) ?? 0) + 1);
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
