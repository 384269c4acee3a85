import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { connection } from '../../test/support/integration.js';
import { runRecommenderDemo } from './recommenderDemo.js';

const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-demo-test-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

test('the demo runs the whole recommender and tells its story', { timeout: 180_000 }, async () => {
  const lines: string[] = [];
  await runRecommenderDemo({
    connection,
    stateDir,
    seconds: 20,
    rate: 300,
    requestRate: 10,
    // Two instances: the tasks split between them, and a user's features are found through
    // either (the load run's set-up; one instance is the simpler case of the same code).
    featureInstances: 2,
    seed: 42,
    reset: true,
    log: (line) => lines.push(line),
  });
  const output = lines.join('\n');
  assert.match(output, /reset: deleted \d+ topics/);
  assert.match(output, /reelstream-features \(2 instances, queries on [\d.:]+, [\d.:]+\)/);
  // Freshness: a watch and a dislike change the next reply.
  assert.match(output, /freshness: \d+ ms after the events, the reply excludes both/);
  // Requests flowed, none failed, and some were personalised.
  const answered =
    /requests answered\s+(\d+): P50 [\d.]+ ms, P99 [\d.]+ ms; failed or timed out (\d+)/.exec(
      output,
    );
  assert.ok(answered, output);
  assert.ok(Number(answered[1]) > 50, `only ${answered[1]} requests answered`);
  assert.equal(answered[2], '0');
  assert.match(output, /replies\s+.*\d+ personalised/);
  // Lag comes from the lag CLI, not a failure message.
  assert.match(output, /reelstream-features\s+\w+ \(\w+\)\s+lag \d+ records/);
  // With the feature job stopped, every request still gets a degraded reply.
  assert.match(output, /fallback: 20 requests answered, slowest \d+ ms: 20 degraded/);
});
