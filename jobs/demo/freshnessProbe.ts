import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import type { ConnectionConfig, RemoteStore } from '../../operators/index.js';
import type { SchemaCatalog } from '../../operators/serdes/serde.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { topics } from '../../schemas/topics.js';
import { preparedEventSerdes } from '../generator/eventSerdes.js';
import type { SimUser, SimVideo } from '../generator/population.js';

/** How long the probe waits for the replies to change before it says they did not. */
const deadlineMs = 10_000;

/**
 * The freshness check: a user with personalised recommendations watches the top one to the end
 * and dislikes another (of a different category where the reply has one); the probe then asks
 * again every 100 ms and prints how long until a reply excludes both while the user's features
 * hold both events (the watch in the last watches, the dislike in the recent negatives): a
 * reply that leaves them out before then does so for another reason, and is not counted.
 */
export async function freshnessProbe(options: {
  users: readonly SimUser[];
  video: (videoId: string) => SimVideo | undefined;
  /** The catalogue's category name of a video (what user features key affinities by). */
  categoryOf: (video: SimVideo) => string;
  userStore: RemoteStore<string, UserFeatures>;
  ask: (userId: string, region: string) => Promise<RecommendationReply>;
  connection: ConnectionConfig;
  schemas: SchemaCatalog;
  log: (line: string) => void;
}): Promise<void> {
  const { log, ask } = options;
  let probe: { user: SimUser; watched: SimVideo; disliked: SimVideo } | undefined;
  for (const user of options.users.slice(0, 500)) {
    const reply = await ask(user.id, user.region).catch(() => undefined);
    const items = reply?.degraded === false ? reply.items : [];
    const shown = items.flatMap((item) => options.video(item.videoId) ?? []);
    const [watched] = shown;
    // The disliked video is of another category, so the watch's gain in its category's
    // affinity is not cancelled by the dislike's loss. A user whose reply is all of one
    // category is taken only if no user of the first 500 has a reply of two.
    const otherCategory = (v: SimVideo): boolean =>
      watched !== undefined && options.categoryOf(v) !== options.categoryOf(watched);
    const disliked = shown.find(otherCategory);
    if (watched !== undefined && disliked !== undefined) {
      probe = { user, watched, disliked };
      break;
    }
    const second = shown[1];
    if (probe === undefined && watched !== undefined && second !== undefined) {
      probe = { user, watched, disliked: second }; // kept while a better one is looked for
    }
  }
  if (probe === undefined) {
    log('freshness: no user has personalised recommendations yet (run longer with --seconds)');
    return;
  }
  const { user, watched, disliked } = probe;
  const before = await options.userStore.get(user.id).catch(() => undefined);
  const watchedCategory = options.categoryOf(watched);
  const category = (features: UserFeatures | undefined): number =>
    features?.categoryAffinity[watchedCategory]?.score ?? 0;
  log('');
  log(
    `freshness: ${user.id} watches ${watched.id} (recommended first, ${watchedCategory}) and ` +
      `dislikes ${disliked.id} (recommended, ${options.categoryOf(disliked)})`,
  );
  const client = new KafkajsStreamClient(
    createKafkaJs(options.connection, { clientId: 'reelstream-demo-probe' }),
  );
  const serdes = await preparedEventSerdes(options.schemas);
  const producer = await client.producer({ idempotent: true });
  const now = Date.now();
  await producer.send([
    {
      topic: topics.watchEnds,
      key: Buffer.from(user.id),
      value: serdes.watchEnds.serialize(
        {
          userId: user.id,
          videoId: watched.id,
          sessionId: `probe-${now}`,
          watchedMs: watched.durationMs,
          videoDurationMs: watched.durationMs,
          reason: 'COMPLETED',
          requestId: null,
          eventTime: now,
        },
        { topic: topics.watchEnds, isKey: false },
      ),
      timestamp: now,
      headers: {},
    },
    {
      topic: topics.engagements,
      key: Buffer.from(user.id),
      value: serdes.engagements.serialize(
        {
          userId: user.id,
          videoId: disliked.id,
          creatorId: disliked.creatorId,
          type: 'DISLIKE',
          requestId: null,
          eventTime: now,
        },
        { topic: topics.engagements, isKey: false },
      ),
      timestamp: now,
      headers: {},
    },
  ]);
  await producer.close();
  const sent = performance.now();
  while (performance.now() - sent < deadlineMs) {
    const reply = await ask(user.id, user.region).catch(() => undefined);
    const shown = new Set(reply?.items.map((i) => i.videoId) ?? []);
    const excludesBoth =
      reply !== undefined && !reply.degraded && !shown.has(watched.id) && !shown.has(disliked.id);
    const after = excludesBoth
      ? await options.userStore.get(user.id).catch(() => undefined)
      : undefined;
    const holdsBoth =
      after !== undefined &&
      after.lastWatched.some((w) => w.videoId === watched.id) &&
      after.recentNegatives.some((n) => n.videoId === disliked.id);
    if (reply !== undefined && excludesBoth && holdsBoth) {
      log(
        `freshness: ${Math.round(performance.now() - sent)} ms after the events, the reply excludes both ` +
          `(first now ${reply.items[0]?.videoId ?? '-'}); last watched ${after?.lastWatched[0]?.videoId ?? '-'}, ` +
          `recent negative ${after?.recentNegatives[0]?.videoId ?? '-'}; affinity to ${watchedCategory} ` +
          `${category(before).toFixed(2)} → ${category(after).toFixed(2)}`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log(
    `freshness: after ${deadlineMs} ms no reply excluded ${watched.id} and ${disliked.id} with both events in the user's features`,
  );
}
