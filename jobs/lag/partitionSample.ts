/**
 * One observation of one group's topic-partition. The sliding window that status and time lag
 * are computed over is an array of these, oldest first.
 */
export interface PartitionSample {
  /** When it was observed, epoch milliseconds. */
  readonly atMs: number;
  /** Committed offset; `null` while the group has none. */
  readonly offset: number | null;
  /** High watermark at that moment; `null` when unknown (deleted topic). */
  readonly logEndOffset: number | null;
  /** Lag as status sees it (transaction markers excluded); `null` without a committed offset. */
  readonly lag: number | null;
  /** Whether an active member of the group had the partition assigned. */
  readonly owned: boolean;
}
