import type { NextRecord } from './lagModel.js';

/** The parts of a fetched record (as kafkajs decodes it) that finding the next record needs. */
export interface FetchedRecord {
  readonly offset: number;
  readonly timestampMs: number;
  readonly isControlRecord: boolean;
  /** For control records: 0 abort marker, 1 commit marker. */
  readonly controlType: number | undefined;
  readonly inTransaction: boolean;
  readonly producerId: string;
}

export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: number;
}

export interface FetchedPartition {
  readonly records: readonly FetchedRecord[];
  readonly abortedTransactions: readonly AbortedTransaction[];
  readonly lastStableOffset: number;
}

/**
 * The first record at or after `fromOffset` that a read_committed consumer would be handed:
 * neither a transaction marker nor part of an aborted transaction. When there is none below the
 * last stable offset and the fetched records reach it, the gap is markers (and aborted records)
 * only, which is how a caught-up transactional consumer is told from one that lags by one record.
 * `undefined` when the fetch did not cover enough to tell.
 */
export function findNextRecord(
  fetched: FetchedPartition,
  fromOffset: number,
): NextRecord | 'nothing-to-read' | undefined {
  if (fromOffset >= fetched.lastStableOffset) {
    // Only an open transaction lies ahead: nothing is readable under read_committed yet.
    return 'nothing-to-read';
  }
  const aborting = new Set<string>();
  const pending = [...fetched.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
  let coveredTo = fromOffset;
  for (const record of fetched.records) {
    while (pending[0] !== undefined && pending[0].firstOffset <= record.offset) {
      aborting.add(pending[0].producerId);
      pending.shift();
    }
    coveredTo = Math.max(coveredTo, record.offset + 1);
    if (record.offset < fromOffset || record.offset >= fetched.lastStableOffset) {
      continue;
    }
    if (record.isControlRecord) {
      if (record.controlType === 0) {
        aborting.delete(record.producerId);
      }
      continue;
    }
    if (record.inTransaction && aborting.has(record.producerId)) {
      continue;
    }
    return { offset: record.offset, timestampMs: record.timestampMs };
  }
  return coveredTo >= fetched.lastStableOffset ? 'nothing-to-read' : undefined;
}
