import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { RequestClient, RequestClientClosedError, type JobState } from '../../operators/index.js';
import { connection } from '../support/integration.js';
import { squareSerdes, startSquareService } from './squareService.js';

const clients = 100;
const atOnce = 10;

type InFlightOutcome = 'answered' | 'rejected at close';

/**
 * One client's life: three requests answered, then two more sent and the client closed a few
 * milliseconds later, so the job often answers them after the close deleted the reply topic.
 */
async function churnOnce(requestTopic: string, index: number): Promise<InFlightOutcome[]> {
  const client = await RequestClient.start({ connection, requestTopic, serdes: squareSerdes() });
  const answers = await Promise.all(
    [1, 2, 3].map((n) => client.request({ n: index * 10 + n }, { timeoutMs: 60_000 })),
  );
  assert.deepEqual(
    answers.map((a) => a.square),
    [1, 2, 3].map((n) => (index * 10 + n) ** 2),
  );
  const inFlight = [4, 5].map((n) =>
    client.request({ n: index * 10 + n }, { timeoutMs: 60_000 }).then(
      (): InFlightOutcome => 'answered',
      (error: unknown): InFlightOutcome => {
        if (error instanceof RequestClientClosedError) {
          return 'rejected at close';
        }
        throw error;
      },
    ),
  );
  await sleep(index % 20); // sent or not, answered or not, when the close comes
  await client.close();
  return Promise.all(inFlight);
}

test(`${clients} request clients open and close while requests flow: the job never fails and keeps answering`, async () => {
  const service = await startSquareService({ partitions: 4 });
  const { job, requestTopic } = service;
  const unwell: JobState[] = [];
  job.lifecycle.onChange((to) => {
    if (to === 'failed' || to === 'recovering') {
      unwell.push(to);
    }
  });
  // A client that stays: its requests flow throughout, one every 20 ms.
  let churning = true;
  const steadyLatencies: number[] = [];
  const steady = (async () => {
    for (let n = 0; churning; n++) {
      const started = performance.now();
      const reply = await service.client.request({ n }, { timeoutMs: 60_000 });
      assert.equal(reply.square, n * n);
      steadyLatencies.push(performance.now() - started);
      await sleep(20);
    }
  })();
  try {
    const outcomes: InFlightOutcome[] = [];
    for (let first = 0; first < clients; first += atOnce) {
      const round = Array.from({ length: atOnce }, (_, i) => churnOnce(requestTopic, first + i));
      outcomes.push(...(await Promise.all(round)).flat());
    }
    churning = false;
    await steady;

    const after = await RequestClient.start({ connection, requestTopic, serdes: squareSerdes() });
    try {
      const reply = await after.request({ n: 9 }, { timeoutMs: 30_000 });
      assert.equal(reply.square, 81, 'a client that starts after the churn is answered');
    } finally {
      await after.close();
    }

    steadyLatencies.sort((a, b) => a - b);
    const stats = job.stats();
    console.log(
      `  ${clients} clients: in flight at close ${outcomes.filter((o) => o === 'answered').length} answered, ` +
        `${outcomes.filter((o) => o !== 'answered').length} rejected; undeliverable replies ${stats.undeliverableReplies}; ` +
        `steady client ${steadyLatencies.length} requests, max ${Math.round(steadyLatencies.at(-1) ?? NaN)} ms`,
    );
    assert.deepEqual(unwell, [], 'the job never failed nor had to recover');
    assert.equal(stats.recoveries, 0);
    assert.equal(job.state, 'running');
    assert.ok(steadyLatencies.length > 0, 'the steady client was answered throughout');
    // A send to a deleted reply topic stalled its partition for kafkajs's retries (~9 s).
    assert.ok((steadyLatencies.at(-1) ?? 0) < 8_000, 'no request waited out a retried send');
    // The only dead letters are replies to topics their clients had deleted.
    assert.equal(stats.deadLettered, stats.undeliverableReplies);
  } finally {
    churning = false;
    await steady.catch(() => undefined);
    await service.stop();
  }
});
