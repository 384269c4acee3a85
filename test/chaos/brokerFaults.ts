/**
 * The chaos schedule with broker faults: the job kills of the kill -9 harness, with broker kills
 * (SIGKILL, then a restart on the broker's data) and broker pauses (SIGSTOP, then SIGCONT) mixed
 * in at seeded places. Broker faults hit a stack the harness owns (FaultyStack); after one the
 * job is not restarted: it must find its way back by itself.
 */
import { seededRandom } from '../../operators/support/seededRandom.js';

/** One step of the schedule. */
export type ChaosFault =
  | { readonly kind: 'job-kill' }
  | {
      readonly kind: 'broker-kill' | 'broker-pause';
      /** Kill: how long the broker stays down before its restart; pause: SIGSTOP to SIGCONT. */
      readonly outageMs: number;
    };

export interface FaultScheduleOptions {
  readonly kills: number;
  readonly brokerKills: number;
  readonly brokerPauses: number;
  readonly seed: number;
  readonly minOutageMs: number;
  readonly maxOutageMs: number;
}

/**
 * The faults in the order they come: `kills` job kills with the broker faults shuffled in by a
 * generator of their own (seeded from `seed`), so a run without broker faults draws its kill
 * times exactly as before and the same seed gives the same schedule every time.
 */
export function faultSchedule(options: FaultScheduleOptions): ChaosFault[] {
  const random = seededRandom(options.seed ^ 0xb40c);
  const minMs = options.minOutageMs;
  const maxMs = Math.max(minMs, options.maxOutageMs);
  const outage = (): number => minMs + Math.floor(random() * (maxMs - minMs + 1));
  const faults: ChaosFault[] = [
    ...Array.from({ length: options.kills }, () => ({ kind: 'job-kill' }) as const),
    ...Array.from(
      { length: options.brokerKills },
      () => ({ kind: 'broker-kill', outageMs: outage() }) as const,
    ),
    ...Array.from(
      { length: options.brokerPauses },
      () => ({ kind: 'broker-pause', outageMs: outage() }) as const,
    ),
  ];
  // Fisher-Yates; without broker faults every order is the same, and nothing is drawn.
  if (options.brokerKills + options.brokerPauses > 0) {
    for (let i = faults.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [faults[i], faults[j]] = [faults[j] as ChaosFault, faults[i] as ChaosFault];
    }
  }
  return faults;
}

/** What a broker fault needs of the stack: deploy/local/stack/faultyStack.ts. */
export interface FaultableBroker {
  killBroker(): Promise<void>;
  startBroker(): Promise<void>;
  pauseBroker(): Promise<void>;
  resumeBroker(): Promise<void>;
}

/** One broker fault as it happened. */
export interface BrokerFaultOutcome {
  readonly kind: 'broker-kill' | 'broker-pause';
  /** The job run (process) that was running. */
  readonly run: number;
  /** From the SIGKILL / SIGSTOP until the broker answered again (a restart takes a while). */
  readonly outageMs: number;
  /**
   * From the broker answering again until the group committed progress beyond what it had
   * committed then (or had consumed everything); undefined when it did not within the limit.
   */
  readonly resumedAfterMs: number | undefined;
  /** Times the job process logged `job recovering` during the fault and its aftermath. */
  readonly recoveries: number;
}

/**
 * Applies a broker fault; resolves when the broker answers again (restarted, or thawed).
 * @returns milliseconds from the SIGKILL or SIGSTOP until then
 */
export async function applyBrokerFault(
  broker: FaultableBroker,
  fault: Extract<ChaosFault, { kind: 'broker-kill' | 'broker-pause' }>,
  sleep: (ms: number) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  if (fault.kind === 'broker-kill') {
    await broker.killBroker();
    await sleep(fault.outageMs);
    await broker.startBroker();
  } else {
    await broker.pauseBroker();
    try {
      await sleep(fault.outageMs);
    } finally {
      await broker.resumeBroker();
    }
  }
  return performance.now() - started;
}

export function describeFault(fault: ChaosFault): string {
  switch (fault.kind) {
    case 'job-kill':
      return 'job kill -9';
    case 'broker-kill':
      return `broker kill -9, restart after ${(fault.outageMs / 1000).toFixed(1)} s`;
    case 'broker-pause':
      return `broker SIGSTOP, SIGCONT after ${(fault.outageMs / 1000).toFixed(1)} s`;
  }
}
