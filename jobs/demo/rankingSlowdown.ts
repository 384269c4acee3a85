import type { RankedCandidate, Ranker, RankingInput } from '../../pipelines/recommender/ranking.js';

/** An injected slowdown of the ranking stage: `delayMs` more per ranking, for a window. */
export interface RankingSlowdown {
  readonly delayMs: number;
  /** Seconds after the demo's requests start. */
  readonly atSeconds: number;
  readonly forSeconds: number;
}

/**
 * The demo's ranker, counting its rankings' candidates, with a slowdown injected for a window (`--inject-ranking-delay-ms`), as a
 * loaded machine or a stalled worker would slow it: every ranking that starts inside the
 * window waits `delayMs` first, probes included, so the latency guard trips into the
 * simplified ranking, probes in vain while the window lasts, and recovers after it.
 */
export class SlowedRanker implements Ranker {
  readonly name: string;
  readonly version: string;
  readonly #inner: Ranker;
  readonly #slowdown: RankingSlowdown | undefined;
  readonly #startedAt: () => number;
  #rankings = 0;
  #candidates = 0;
  #most = 0;

  constructor(inner: Ranker, slowdown: RankingSlowdown | undefined, startedAt: () => number) {
    this.name = inner.name;
    this.version = inner.version;
    this.#inner = inner;
    this.#slowdown = slowdown;
    this.#startedAt = startedAt;
  }

  /** Whether a ranking starting now is slowed. */
  slowedNow(): boolean {
    if (this.#slowdown === undefined) {
      return false;
    }
    const seconds = (performance.now() - this.#startedAt()) / 1000;
    const { atSeconds, forSeconds } = this.#slowdown;
    return seconds >= atSeconds && seconds < atSeconds + forSeconds;
  }

  /** Rankings asked for (probes included) and their candidates: the funnel's width. */
  counts(): { rankings: number; meanCandidates: number; mostCandidates: number } {
    return {
      rankings: this.#rankings,
      meanCandidates: this.#rankings === 0 ? 0 : this.#candidates / this.#rankings,
      mostCandidates: this.#most,
    };
  }

  async rank(input: RankingInput): Promise<readonly RankedCandidate[]> {
    this.#rankings += 1;
    this.#candidates += input.candidates.length;
    this.#most = Math.max(this.#most, input.candidates.length);
    const delayMs = this.slowedNow() ? (this.#slowdown?.delayMs ?? 0) : 0;
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    return this.#inner.rank(input);
  }
}
