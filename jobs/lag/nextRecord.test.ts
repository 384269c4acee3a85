import assert from 'node:assert/strict';
import { test } from 'node:test';

import { findNextRecord, type FetchedRecord } from './nextRecord.js';

function data(offset: number, producerId = '-1', inTransaction = false): FetchedRecord {
  return {
    offset,
    timestampMs: 1000 + offset,
    isControlRecord: false,
    controlType: undefined,
    inTransaction,
    producerId,
  };
}

function marker(offset: number, producerId: string, commit: boolean): FetchedRecord {
  return {
    offset,
    timestampMs: 1000 + offset,
    isControlRecord: true,
    controlType: commit ? 1 : 0,
    inTransaction: true,
    producerId,
  };
}

test('the first record at or after the committed offset', () => {
  const next = findNextRecord(
    { records: [data(3), data(4), data(5)], abortedTransactions: [], lastStableOffset: 6 },
    4,
  );
  assert.deepEqual(next, { offset: 4, timestampMs: 1004 });
});

test('a commit marker alone between the committed offset and the end is nothing to read', () => {
  const records = [data(0, '7', true), data(1, '7', true), marker(2, '7', true)];
  assert.equal(
    findNextRecord({ records, abortedTransactions: [], lastStableOffset: 3 }, 2),
    'nothing-to-read',
  );
});

test('aborted records and their marker are skipped; the next committed record is found', () => {
  const records = [
    marker(2, '7', true),
    data(3, '8', true),
    marker(4, '8', false),
    data(5, '7', true),
    marker(6, '7', true),
  ];
  const next = findNextRecord(
    { records, abortedTransactions: [{ producerId: '8', firstOffset: 3 }], lastStableOffset: 7 },
    2,
  );
  assert.deepEqual(next, { offset: 5, timestampMs: 1005 });
});

test('only an aborted transaction ahead is nothing to read', () => {
  const records = [data(3, '8', true), marker(4, '8', false)];
  const next = findNextRecord(
    { records, abortedTransactions: [{ producerId: '8', firstOffset: 3 }], lastStableOffset: 5 },
    3,
  );
  assert.equal(next, 'nothing-to-read');
});

test('at the last stable offset with an open transaction ahead: nothing to read yet', () => {
  assert.equal(
    findNextRecord({ records: [], abortedTransactions: [], lastStableOffset: 10 }, 10),
    'nothing-to-read',
  );
});

test('a fetch that stops short of the last stable offset cannot tell', () => {
  const records = [marker(2, '7', true)];
  assert.equal(
    findNextRecord({ records, abortedTransactions: [], lastStableOffset: 50 }, 2),
    undefined,
  );
});
