import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseList } from './openTransactions.js';

test('kafka-transactions list: the table is read by its header, whatever the column order', () => {
  const output = [
    'TransactionalId\tCoordinator\tProducerId\tTransactionState\t',
    'app-0_1\t1\t1007\tCompleteCommit\t',
    'app-1_3\t1\t1012\tOngoing\t',
    '',
  ].join('\n');
  assert.deepEqual(parseList(output), [
    { transactionalId: 'app-0_1', producerId: '1007', state: 'CompleteCommit' },
    { transactionalId: 'app-1_3', producerId: '1012', state: 'Ongoing' },
  ]);
  assert.deepEqual(parseList('TransactionalId\tCoordinator\tProducerId\tTransactionState\t\n'), []);
  assert.throws(() => parseList('Error: something else'), /printed no table/);
});
