/**
 * The demo's request load, on a thread of its own (started by requestLoad.ts): users' devices
 * asking for recommendations at a steady rate over Kafka, as a serving layer's clients do from
 * their own machines. On the serving job's thread, every reply's decoding and every request's
 * sending waited behind the requests being served, and counted as the funnel's latency.
 *
 * Open loop: requests are sent on the clock, not one after another's reply, so a slow reply
 * does not slow the rate down and hide itself. Each outcome goes back to the demo's thread as
 * one message: the reply and its end-to-end milliseconds, or the failure.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { RequestClient, type ConnectionConfig } from '../../operators/index.js';
import { type RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { recommendationSerdes } from '../../pipelines/recommender/servingPipeline.js';
import { topics } from '../../schemas/topics.js';

/** What the demo's thread gives the load. */
export interface RequestLoadSettings {
  readonly connection: ConnectionConfig;
  readonly ratePerSecond: number;
  /** The users asked for, one drawn at random per request. */
  readonly users: readonly { readonly id: string; readonly region: string }[];
  /** A request without a reply by then counts as failed. */
  readonly timeoutMs: number;
}

/** What the load tells the demo's thread. */
export type RequestLoadMessage =
  | { readonly kind: 'started' }
  | { readonly kind: 'reply'; readonly reply: RecommendationReply; readonly endToEndMs: number }
  | {
      readonly kind: 'failed';
      readonly reason: string;
      /** When the request was sent, in seconds after the load started. */
      readonly sentAtSeconds: number;
    }
  | { readonly kind: 'done' };

/** The message that ends the load (the replies in flight are still awaited). */
export const stopLoad = 'stop';

async function runLoad(
  settings: RequestLoadSettings,
  port: NonNullable<typeof parentPort>,
): Promise<void> {
  const tell = (message: RequestLoadMessage): void => port.postMessage(message);
  let stopping = false;
  port.on('message', (message) => {
    if (message === stopLoad) {
      stopping = true;
    }
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
            (reply) => tell({ kind: 'reply', reply, endToEndMs: performance.now() - sent }),
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
  tell({ kind: 'done' });
}

if (parentPort !== null) {
  await runLoad(workerData as RequestLoadSettings, parentPort);
}
