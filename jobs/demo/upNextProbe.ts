import type { RemoteStore } from '../../operators/index.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';

/**
 * "Up next" in the demo: users with a recent watch ask for what to play after it (surface
 * UP_NEXT, the watch as `context.currentVideoId`), up to {@link maxTries} of them until a reply
 * holds a neighbour of the video (a minute of traffic leaves many videos without co-visitation
 * neighbours yet). Prints that list with its sources, how many items are the current video's
 * neighbours (CURRENT_VIDEO_NEIGHBOURS), whether the current video came back (it never should),
 * and how many users were asked.
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
  let asked = 0;
  let returnedCurrent = 0;
  for (const user of options.users) {
    if (asked >= maxTries) {
      break;
    }
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
    asked += 1;
    returnedCurrent += reply.items.some((i) => i.videoId === current) ? 1 : 0;
    const neighbours = reply.items.filter((i) => i.sources.includes('CURRENT_VIDEO_NEIGHBOURS'));
    if (neighbours.length === 0 && asked < maxTries) {
      continue;
    }
    log('');
    log(
      `up next: user ${user.id} is watching ${current} (${categoryOf(current)}); ranked ${reply.rankingMode}`,
    );
    for (const item of reply.items.slice(0, 8)) {
      log(
        `  ${item.videoId} ${categoryOf(item.videoId)} ${item.score.toFixed(3)} ${item.sources.join('+')}`,
      );
    }
    log(
      `  ${neighbours.length} of ${reply.items.length} items are neighbours of ${current}; ` +
        `the current video returned in ${returnedCurrent} of ${asked} up-next replies asked` +
        (reply.degraded ? ` (degraded: ${reply.degradedReason ?? ''})` : ''),
    );
    return;
  }
  log(
    asked === 0
      ? 'up next: no user has a recent watch yet: run the demo longer (--seconds)'
      : `up next: ${asked} users asked, no reply held a neighbour of the video being watched; the current video returned in ${returnedCurrent}`,
  );
}

/** Users asked at most, looking for a current video with neighbours. */
const maxTries = 20;
