import {
  evaluateGroup,
  evaluatePartition,
  worseStatus,
  type EvaluatorSettings,
  type LagStatus,
  type StatusReason,
} from './burrowEvaluator.js';
import type { GroupState, GroupType, LagSnapshot, PartitionOffsets } from './lagModel.js';
import { lostRecords, offsetCheck } from './offsetChecks.js';
import type { PartitionSample } from './partitionSample.js';
import { SampleHistory } from './sampleHistory.js';
import { estimateTimeLag, type TimeLagSource } from './timeLag.js';

/** Whether lag went up or down across the window. */
export type Trend = 'rising' | 'falling' | 'flat' | 'unknown';

/** One row: the JSON schema's partition object (docs/lag.md). */
export interface PartitionReport {
  readonly topic: string;
  readonly partition: number;
  readonly committedOffset: number | null;
  readonly logEndOffset: number | null;
  readonly lastStableOffset: number | null;
  /** First offset still in the log (retention moves it). */
  readonly logStartOffset: number | null;
  /**
   * logEndOffset - committedOffset: kafka-consumer-groups' LAG, negative when the committed
   * offset is beyond the log end (Kafka prints it so too; status says BEYOND_LOG_END).
   */
  readonly lag: number | null;
  /** Lag that counts for status and time lag: 0 when only transaction markers remain. */
  readonly effectiveLag: number | null;
  /** Records deleted below the committed offset before the group read them (RECORDS_LOST). */
  readonly lostRecords: number | null;
  readonly timeLagSeconds: number | null;
  readonly timeLagSource: TimeLagSource | null;
  readonly consumerId: string | null;
  readonly host: string | null;
  readonly clientId: string | null;
  readonly status: LagStatus;
  readonly reason: StatusReason;
  readonly trend: Trend;
  /** Effective lag of each sample in the window, oldest first (the sparkline). */
  readonly lagWindow: readonly number[];
}

export interface GroupReport {
  readonly group: string;
  /** classic, or consumer (KIP-848). */
  readonly type: GroupType;
  /** A group without a protocol (offsets committed by assign() consumers or tools). */
  readonly simple: boolean;
  readonly state: GroupState;
  readonly members: number;
  readonly status: LagStatus;
  readonly reason: StatusReason;
  /** Sum of the partitions' positive lags (a negative lag is an error, not a backlog). */
  readonly totalLag: number;
  readonly maxTimeLagSeconds: number;
  readonly partitions: readonly PartitionReport[];
}

export interface LagReport {
  readonly generatedAtMs: number;
  readonly status: LagStatus;
  readonly groups: readonly GroupReport[];
}

export function offsetLag(p: PartitionOffsets): number | null {
  if (p.committedOffset === null || p.logEndOffset === null) {
    return null;
  }
  return p.logEndOffset - p.committedOffset;
}

export function effectiveLag(p: PartitionOffsets): number | null {
  const lag = offsetLag(p);
  return lag !== null && p.nextRecord === 'nothing-to-read' ? 0 : lag;
}

/** Adds the snapshot's observations to the history (one sample per group partition). */
export function recordSnapshot(history: SampleHistory, snapshot: LagSnapshot): void {
  for (const group of snapshot.groups) {
    for (const p of group.partitions) {
      const sample: PartitionSample = {
        atMs: snapshot.takenAtMs,
        offset: p.committedOffset,
        logEndOffset: p.logEndOffset,
        lag: effectiveLag(p),
        owned: p.owner !== null,
      };
      history.add(SampleHistory.key(group.groupId, p.topic, p.partition), sample);
    }
  }
}

/** Rows with status, time lag and trend, from a snapshot already recorded into `history`. */
export function buildReport(
  snapshot: LagSnapshot,
  history: SampleHistory,
  settings: EvaluatorSettings,
): LagReport {
  const now = snapshot.takenAtMs;
  let overall: LagStatus = 'OK';
  const groups = snapshot.groups.map((group): GroupReport => {
    const partitions = group.partitions.map((p) => {
      const samples = history.samples(SampleHistory.key(group.groupId, p.topic, p.partition));
      return partitionReport(p, samples, { now, settings });
    });
    const evaluation = evaluateGroup(partitions);
    overall = worseStatus(overall, evaluation.status);
    return {
      group: group.groupId,
      type: group.type,
      simple: group.simple,
      state: group.state,
      members: group.memberCount,
      status: evaluation.status,
      reason: evaluation.reason,
      totalLag: partitions.reduce((sum, p) => sum + Math.max(0, p.lag ?? 0), 0),
      maxTimeLagSeconds: partitions.reduce((max, p) => Math.max(max, p.timeLagSeconds ?? 0), 0),
      partitions,
    };
  });
  return { generatedAtMs: now, status: overall, groups };
}

function partitionReport(
  p: PartitionOffsets,
  samples: readonly PartitionSample[],
  context: { now: number; settings: EvaluatorSettings },
): PartitionReport {
  const { now, settings } = context;
  const lag = offsetLag(p);
  const counted = effectiveLag(p);
  const evaluation = offsetCheck(p) ?? evaluatePartition(samples, now, settings);
  // Beyond the log end no record waits for the group: there is no age to give.
  const timeLag =
    p.committedOffset === null || counted === null || counted < 0
      ? null
      : estimateTimeLag({
          committedOffset: p.committedOffset,
          lag: counted,
          nextRecord: p.nextRecord,
          history: samples.flatMap((s) =>
            s.logEndOffset === null ? [] : [{ atMs: s.atMs, logEndOffset: s.logEndOffset }],
          ),
          nowMs: now,
        });
  const lagWindow = samples
    .filter((s) => s.atMs >= now - settings.windowMs && s.lag !== null)
    .map((s) => s.lag ?? 0);
  return {
    topic: p.topic,
    partition: p.partition,
    committedOffset: p.committedOffset,
    logEndOffset: p.logEndOffset,
    lastStableOffset: p.lastStableOffset,
    logStartOffset: p.logStartOffset,
    lag,
    effectiveLag: counted,
    lostRecords: lostRecords(p),
    timeLagSeconds: timeLag?.seconds ?? null,
    timeLagSource: timeLag?.source ?? null,
    consumerId: p.owner?.consumerId ?? null,
    host: p.owner?.host ?? null,
    clientId: p.owner?.clientId ?? null,
    status: evaluation.status,
    reason: evaluation.reason,
    trend: trendOf(lagWindow),
    lagWindow,
  };
}

function trendOf(lags: readonly number[]): Trend {
  const first = lags[0];
  const last = lags[lags.length - 1];
  if (first === undefined || last === undefined || lags.length < 2) {
    return 'unknown';
  }
  return last > first ? 'rising' : last < first ? 'falling' : 'flat';
}

/** Keeps only non-OK partitions, and groups that still have some (`--problems`). */
export function onlyProblems(report: LagReport): LagReport {
  return {
    ...report,
    groups: report.groups
      .filter((g) => g.status !== 'OK')
      .map((g) => ({ ...g, partitions: g.partitions.filter((p) => p.status !== 'OK') })),
  };
}
