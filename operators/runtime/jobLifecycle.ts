/**
 * The states of a running job, as in Kafka Streams' `KafkaStreams.State`:
 *
 * ```
 * created ─▶ starting ─▶ running ⇄ rebalancing
 *                │        ▲  │          │
 *                │        │  ▼          │
 *                └───▶ recovering ◀─────┘
 *                           │
 *              failed ◀── stopping ──▶ stopped
 * ```
 * `recovering`: the broker or the registry could not be reached; the job gave up its member
 * and waits to start again from what it committed (Kafka Streams has no such state: its
 * threads retry inside `running`). Any state but `stopped` may go to `failed`; `stopping` is
 * reachable from every live state.
 *
 * @category Runtime
 */
export type JobState =
  | 'created'
  | 'starting'
  | 'running'
  | 'rebalancing'
  | 'recovering'
  | 'stopping'
  | 'stopped'
  | 'failed';

const allowed: Readonly<Record<JobState, readonly JobState[]>> = {
  created: ['starting', 'stopping', 'failed'],
  starting: ['running', 'rebalancing', 'recovering', 'stopping', 'failed'],
  running: ['rebalancing', 'recovering', 'stopping', 'failed'],
  rebalancing: ['running', 'recovering', 'stopping', 'failed'],
  recovering: ['running', 'rebalancing', 'stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: ['stopping', 'stopped'],
};

/** A transition the state machine does not allow. @category Runtime */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
}

/**
 * Holds the job's state and rejects transitions the diagram above does not have, so a bug in
 * the runtime shows up as an error instead of a job in an impossible state.
 *
 * @category Runtime
 */
export class JobLifecycle {
  private current: JobState = 'created';
  private readonly listeners: ((to: JobState, from: JobState) => void)[] = [];

  get state(): JobState {
    return this.current;
  }

  canMoveTo(next: JobState): boolean {
    return allowed[this.current].includes(next);
  }

  moveTo(next: JobState): void {
    if (!this.canMoveTo(next)) {
      throw new InvalidTransitionError(`a job cannot go from ${this.current} to ${next}`);
    }
    const previous = this.current;
    this.current = next;
    for (const listener of this.listeners) {
      listener(next, previous);
    }
  }

  onChange(listener: (to: JobState, from: JobState) => void): void {
    this.listeners.push(listener);
  }
}
