import type { StageMillis } from '../../schemas/generated/recommendationReply.js';

/** A stage of the funnel the reply reports the time of (`stageMillis`). */
export type Stage = 'retrieval' | 'ranking' | 'reranking';

/**
 * Where one request's time went: each {@link mark} closes a stage, which took the time since
 * the previous mark (or the start). A stage never marked took 0 (a fallback has no ranking).
 * The total runs from the timer's start to {@link millis}; what the stages do not cover of it
 * is the overhead (the reply and impressions built, awaits between stages).
 */
export class StageTimer {
  readonly #started: number;
  #last: number;
  readonly #stages: Record<Stage, number> = { retrieval: 0, ranking: 0, reranking: 0 };

  constructor(readonly now: () => number = () => performance.now()) {
    this.#started = now();
    this.#last = this.#started;
  }

  mark(stage: Stage): void {
    const now = this.now();
    this.#stages[stage] += now - this.#last;
    this.#last = now;
  }

  millis(): StageMillis {
    return { ...this.#stages, total: this.now() - this.#started };
  }
}
