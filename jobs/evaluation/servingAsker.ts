import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { RequestClient } from '../../operators/index.js';
import { movieIdOfVideo, movieLensIds } from '../replay/movieLensIds.js';
import { movieLensRegion } from '../replay/userProfile.js';
import type { ServedReply } from './listRecord.js';
import type { RecommendRequest, Recommender } from './recommender.js';

/** Attempts per user when the serving path's reply is degraded by a missed deadline. */
const maxAttempts = 3;

/**
 * A degraded reply whose reason is a read that failed or missed its deadline ("user features
 * unavailable: … no query endpoint answered within 50 ms", "personalisation failed: …"), not
 * what the recommender knows ("unknown user: no features yet", "no personalised candidates").
 */
export function isTransient(
  reply: Pick<RecommendationReply, 'degraded' | 'degradedReason'>,
): boolean {
  // Several parts are joined with "; " (features, then the two-tower source's shards).
  return (
    reply.degraded &&
    (reply.degradedReason ?? '')
      .split('; ')
      .some(
        (reason) =>
          reason.startsWith('user features unavailable') ||
          reason.startsWith('personalisation failed') ||
          reason.startsWith('two-tower: shards') ||
          reason.startsWith('two-tower failed'),
      )
  );
}

/**
 * The serving path as a {@link Recommender}: each user asked through `rec.requests` at
 * `requestTime`, with request ids `<idPrefix>-<user>-<attempt>` (the same in every run); a reply
 * degraded by a missed deadline is asked again (up to {@link maxAttempts}) and counted.
 */
export function servingAsker(
  requests: RequestClient<string, RecommendationRequest, RecommendationReply>,
  options: { requestTime: number; idPrefix: string },
): {
  recommender: Recommender;
  replies: ServedReply[];
  degraded: Map<string, number>;
  retried: Map<string, number>;
  /** Replies per ranking mode (BLEND, MODEL, SIMPLIFIED). */
  modes: Map<string, number>;
} {
  const degraded = new Map<string, number>();
  const retried = new Map<string, number>();
  const modes = new Map<string, number>();
  const replies: ServedReply[] = [];
  const ask = (request: RecommendRequest, attempt: number): Promise<RecommendationReply> =>
    requests.request(
      {
        requestId: `${options.idPrefix}-${request.userId}-${attempt}`,
        userId: movieLensIds.user(request.userId),
        region: movieLensRegion,
        surface: 'HOME_FEED',
        count: request.count,
        requestTime: options.requestTime,
        context: null,
      },
      { key: movieLensIds.user(request.userId), timeoutMs: 5_000 },
    );
  const recommender: Recommender = async (request) => {
    let reply = await ask(request, 1);
    // A lookup that missed its deadline (a busy machine, not the recommender's answer) is
    // asked again, up to twice more, and counted: otherwise the load decides the lists.
    for (let attempt = 2; attempt <= maxAttempts && isTransient(reply); attempt++) {
      const reason = reply.degradedReason ?? '';
      retried.set(reason, (retried.get(reason) ?? 0) + 1);
      reply = await ask(request, attempt);
    }
    modes.set(reply.rankingMode, (modes.get(reply.rankingMode) ?? 0) + 1);
    if (reply.degraded) {
      const reason = reply.degradedReason ?? '';
      degraded.set(reason, (degraded.get(reason) ?? 0) + 1);
    }
    replies.push({
      userId: request.userId,
      degraded: reply.degradedReason ?? null,
      items: reply.items.map((item) => [item.videoId, item.score, item.sources.join('+')] as const),
    });
    return reply.items.flatMap((item) => {
      const movieId = movieIdOfVideo(item.videoId);
      return movieId === undefined ? [] : [movieId];
    });
  };
  return { recommender, replies, degraded, retried, modes };
}
