/**
 * The demo's request load, as a process of its own (started by requestLoad.ts): users' devices
 * asking for recommendations at a steady rate over Kafka, as a serving layer's clients do from
 * their own machines. On the serving job's thread, every reply's decoding and every request's
 * sending waited behind the requests being served, and counted as the funnel's latency. On a
 * worker thread of the serving process (until 2026-12-07) its V8 heap and its client's buffers
 * were counted as the serving job's memory, and their swings made that job's RSS trend
 * undecidable (docs/load.md).
 *
 * Open loop: requests are sent on the clock, not one after another's reply, so a slow reply
 * does not slow the rate down and hide itself. Each outcome goes back to the demo's process as
 * one message: the reply and its end-to-end milliseconds, or the failure.
 */
import { once } from 'node:events';
import { argv } from 'node:process';
import { fileURLToPath } from 'node:url';

import { RequestClient } from '../../operators/index.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { recommendationSerdes } from '../../pipelines/recommender/servingPipeline.js';
import { topics } from '../../schemas/topics.js';
import {
  stopLoad,
  type RequestLoadMessage,
  type RequestLoadSettings,
  type SettingsMessage,
} from './requestLoadMessages.js';

async function runLoad(
  settings: RequestLoadSettings,
  tell: (message: RequestLoadMessage) => void,
): Promise<void> {
  let stopping = false;
  process.on('message', (message) => {
    if (message === stopLoad) {
      stopping = true;
    }
  });
  // The demo's process gone (killed, crashed): stop asking, as its reader is gone too.
  process.on('disconnect', () => {
    stopping = true;
  });
  const client = await RequestClient.start<string, RecommendationRequest, RecommendationReply>({
    connection: settings.connection,
    requestTopic: topics.recommendationRequests,
    serdes: recommendationSerdes(),
  });
  tell({ kind: 'started' });
  const startedAt = performance.now();
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1_000 / settings.ratePerSecond;
  let sequence = 0;
  try {
    while (!stopping) {
      const user = settings.users[Math.floor(Math.random() * settings.users.length)];
      if (user !== undefined) {
        const sent = performance.now();
        const asked: Promise<void> = client
          .request(
            {
              requestId: `load-${++sequence}`,
              userId: user.id,
              region: user.region,
              surface: 'HOME_FEED',
              count: 10,
              requestTime: Date.now(),
              context: null,
            },
            { key: user.id, timeoutMs: settings.timeoutMs },
          )
          .then(
            (reply) =>
              tell({
                kind: 'reply',
                reply,
                endToEndMs: performance.now() - sent,
                receivedAtMs: Date.now(),
              }),
            (error: unknown) =>
              tell({
                kind: 'failed',
                reason: error instanceof Error ? error.message : String(error),
                sentAtSeconds: (sent - startedAt) / 1_000,
              }),
          )
          .finally(() => inFlight.delete(asked));
        inFlight.add(asked);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await Promise.all(inFlight);
  } finally {
    await client.close();
  }
}

// Only as the entry of its own process: a module that imports this one (the CLI's other commands
// run in children with an IPC channel too) must not wait here for settings.
if (process.send !== undefined && argv[1] === fileURLToPath(import.meta.url)) {
  const [message] = (await once(process, 'message')) as [SettingsMessage];
  const tell = (m: RequestLoadMessage): Promise<void> =>
    new Promise((resolve) => {
      if (process.connected && process.send !== undefined) {
        process.send(m, undefined, undefined, () => resolve());
      } else {
        resolve();
      }
    });
  await runLoad(message.settings, (m) => void tell(m));
  await tell({ kind: 'done' });
  // Whatever its closed client left scheduled, the load's work is over.
  process.exit(0);
}
