import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { connection, uniqueName } from '../support/integration.js';
import {
  formatChaosReport,
  runChaos,
  type ChaosRunOptions,
  type ChaosRunReport,
} from './chaosRun.js';
import type { ChaosGuarantee } from './verifier.js';

/**
 * The short form of the kill -9 harness (the long form is `test/chaos/run.ts`, README.md): the
 * chaos job over 20k events, killed with SIGKILL 3 times and restarted, once without its state
 * directory; then its outputs, read with read_committed, must equal the batch computation record
 * by record, the table re-aggregation (users per category, `Table.groupBy` with deletes) included. The job log of a failed run stays in `<tmpdir>/<application id>/job.log`.
 */
function options(
  guarantee: ChaosGuarantee,
  size: { events: number; kills: number },
): ChaosRunOptions {
  const prefix = uniqueName(`chaos-${guarantee === 'exactly-once' ? 'eos' : 'alos'}`);
  return {
    connection,
    applicationId: prefix,
    topics: {
      input: `${prefix}.input`,
      videoOutput: `${prefix}.video-views`,
      userOutput: `${prefix}.user-totals`,
      lateOutput: `${prefix}.late`,
      rows: `${prefix}.user-rows`,
      categoryOutput: `${prefix}.category-users`,
    },
    guarantee,
    ...size,
    seed: 42,
    workDir: join(tmpdir(), prefix),
    // Short enough for the suite, long enough that most kills land after the run has joined
    // its group and processed something (the schedule is seeded: the same kills every time).
    minUptimeMs: 1_000,
    maxUptimeMs: 4_000,
    settleTimeoutMs: 60_000,
    log: () => undefined,
  };
}

/** Runs the scenario; the job log stays in the work directory only when the run failed. */
async function runAndTidy(run: ChaosRunOptions): Promise<ChaosRunReport> {
  const report = await runChaos(run);
  if (report.failures.length === 0) {
    rmSync(run.workDir, { recursive: true, force: true });
  }
  return report;
}

test('exactly-once under kill -9: no duplicate, nothing lost, no open transaction', async (t) => {
  const run = options('exactly-once', { events: 20_000, kills: 3 });
  const report = await runAndTidy(run);
  const summary = formatChaosReport(report, run).join('\n');
  summary.split('\n').forEach((line) => t.diagnostic(line));
  assert.equal(report.kills, 3, summary);
  assert.ok(report.wipedRun !== undefined, 'one restart began without its state directory');
  assert.equal(report.verify.input.records, 20_000, summary);
  for (const tally of [
    report.verify.user,
    report.verify.video,
    report.verify.late,
    report.verify.category,
  ]) {
    assert.equal(tally.duplicates, 0, summary);
    assert.equal(tally.lost, 0, summary);
    assert.equal(tally.wrong, 0, summary);
  }
  // The table re-aggregation (Table.groupBy, adder and subtractor) over the same kills: every
  // category's changes once each, counts consistent step by step, final counts right.
  assert.ok(report.verify.category.groups >= 8, summary);
  assert.ok(report.verify.category.records > 20_000, summary);
  assert.equal(report.verify.category.outOfOrder, 0, summary);
  assert.equal(report.verify.category.notConverged, 0, summary);
  assert.equal(report.verify.user.records, 20_000, summary);
  assert.equal(report.verify.transactions.open.length, 0, summary);
  assert.ok(report.verify.transactions.transactions.length > 0, 'the job used transactions');
  assert.equal(report.verify.blocked.length, 0, summary);
  assert.deepEqual(report.failures, [], summary);
});

// Smaller, to keep the file near 90 s: at-least-once needs no proof that nothing is duplicated.
// Duplicated outputs are allowed; lost records and aggregates that over-count are not: stores
// carry the input positions applied to each key, so a replay is skipped (appliedPositions.ts).
test('at-least-once under kill -9: duplicates allowed, nothing lost, aggregates converge', async (t) => {
  const run = options('at-least-once', { events: 5_000, kills: 2 });
  const report = await runAndTidy(run);
  const summary = formatChaosReport(report, run).join('\n');
  summary.split('\n').forEach((line) => t.diagnostic(line));
  assert.equal(report.kills, 2, summary);
  assert.equal(report.verify.input.records, 5_000, summary);
  for (const tally of [
    report.verify.user,
    report.verify.video,
    report.verify.late,
    report.verify.category,
  ]) {
    assert.equal(tally.lost, 0, summary);
    assert.equal(tally.notConverged, 0, summary);
  }
  assert.deepEqual(report.failures, [], summary);
});
