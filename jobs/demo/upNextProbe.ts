import type { RemoteStore } from '../../operators/index.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';

/**
 * "Up next" in the demo: a user with a recent watch asks for what to play after it (surface
 * UP_NEXT, the watch as `context.currentVideoId`). Prints the list with its sources, how many
 * items are the current video's neighbours (CURRENT_VIDEO_NEIGHBOURS), and whether the current
 * video came back (it never should).
 */
export async function upNextProbe(options: {
  readonly users: readonly { id: string; region: string }[];
  readonly userStore: RemoteStore<string, UserFeatures>;
  readonly request: (
    request: Pick<RecommendationRequest, 'userId' | 'region' | 'surface' | 'context'>,
  ) => Promise<RecommendationReply>;
  readonly categoryOf: (videoId: string) => string;
  readonly log: (line: string) => void;
}): Promise<void> {
  const { log, categoryOf } = options;
  for (const user of options.users) {
    const features = await options.userStore.get(user.id).catch(() => undefined);
    const current = features?.lastWatched[0]?.videoId;
    if (current === undefined) {
      continue;
    }
    const reply = await options.request({
      userId: user.id,
      region: user.region,
      surface: 'UP_NEXT',
      context: { currentVideoId: current, device: null },
    });
    const neighbours = reply.items.filter((i) => i.sources.includes('CURRENT_VIDEO_NEIGHBOURS'));
    log('');
    log(`up next: user ${user.id} is watching ${current} (${categoryOf(current)})`);
    for (const item of reply.items.slice(0, 8)) {
      log(
        `  ${item.videoId} ${categoryOf(item.videoId)} ${item.score.toFixed(3)} ${item.sources.join('+')}`,
      );
    }
    log(
      `  ${neighbours.length} of ${reply.items.length} items are neighbours of ${current}; ` +
        `${current} itself returned: ${reply.items.some((i) => i.videoId === current) ? 'YES (a bug)' : 'no'}` +
        (reply.degraded ? ` (degraded: ${reply.degradedReason ?? ''})` : ''),
    );
    return;
  }
  log('up next: no user has a recent watch yet: run the demo longer (--seconds)');
}
