import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import pino from 'pino';

import { UndeliverableLog } from './undeliverableLog.js';
import { undeliverableReasons } from './undeliverableReply.js';

/** A logger that keeps what it was asked to log. */
function recordingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

test('a flood of undeliverable replies is a few lines, each with the counts since the last', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  try {
    const { logger, lines } = recordingLogger();
    const log = new UndeliverableLog(logger, { intervalMs: 10_000 });
    log.add(undeliverableReasons.notAllowed, 'reply to "catalog.videos" undeliverable');
    assert.equal(lines.length, 1, 'the first one at once');
    for (let i = 0; i < 1_000; i++) {
      log.add(undeliverableReasons.notAllowed, 'again');
      log.add(undeliverableReasons.missingTopic, 'gone');
    }
    assert.equal(lines.length, 1, 'the next thousands wait for the interval');
    mock.timers.tick(10_000);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1]?.['undeliverableReplies'], {
      NOT_ALLOWED: 1_000,
      MISSING_TOPIC: 1_000,
    });
    assert.deepEqual(log.counts(), {
      total: 2_001,
      byReason: { NOT_ALLOWED: 1_001, MISSING_TOPIC: 1_000 },
    });
    mock.timers.tick(60_000);
    assert.equal(lines.length, 2, 'nothing more to say');
  } finally {
    mock.timers.reset();
  }
});
