import type { Evaluation } from './burrowEvaluator.js';
import type { PartitionOffsets } from './lagModel.js';

/**
 * Offsets that are wrong now, whatever the history says. Burrow's rules judge how lag moves; these
 * two judge a committed offset that points outside the log, which no amount of consuming fixes:
 * the consumer's next fetch is out of range and it resets by `auto.offset.reset`.
 *
 * - BEYOND_LOG_END: committed past the high watermark. No consumer can commit there by reading
 *   (it reads only up to the high watermark), so the log was truncated or recreated (unclean
 *   leader election, topic deleted and created again) or the offset was set by hand.
 * - RECORDS_LOST: retention (or DeleteRecords) moved the log start past the committed offset;
 *   the records in between were deleted before this group read them.
 */
export function offsetCheck(p: PartitionOffsets): Evaluation | undefined {
  if (p.committedOffset === null) {
    return undefined;
  }
  if (p.logEndOffset !== null && p.committedOffset > p.logEndOffset) {
    return { status: 'ERR', reason: 'BEYOND_LOG_END' };
  }
  if ((lostRecords(p) ?? 0) > 0) {
    return { status: 'ERR', reason: 'RECORDS_LOST' };
  }
  return undefined;
}

/**
 * Offsets between the committed offset and the log start: records deleted before the group read
 * them. 0 when none; `null` when either offset is unknown.
 */
export function lostRecords(p: PartitionOffsets): number | null {
  if (p.committedOffset === null || p.logStartOffset === null) {
    return null;
  }
  return Math.max(0, p.logStartOffset - p.committedOffset);
}
