import type { Click } from '../../schemas/generated/click.js';
import type { Engagement } from '../../schemas/generated/engagement.js';
import type { Impression } from '../../schemas/generated/impression.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import type { WatchHeartbeat } from '../../schemas/generated/watchHeartbeat.js';
import { topicCatalog, type TopicSpec } from '../../schemas/topics.js';

/** One record the replay writes, tagged with what it is; `value` is the schema's type. */
export type ReplayEvent =
  | { readonly kind: 'videoUpload'; readonly value: VideoUpload }
  | { readonly kind: 'impression'; readonly value: Impression }
  | { readonly kind: 'click'; readonly value: Click }
  | { readonly kind: 'watchHeartbeat'; readonly value: WatchHeartbeat }
  | { readonly kind: 'watchEnd'; readonly value: WatchEnd }
  | { readonly kind: 'engagement'; readonly value: Engagement };

export type ReplayEventKind = ReplayEvent['kind'];

/** The topic each kind of replayed record goes to (names, keys, schemas: schemas/topics.ts). */
export const replayTopics = {
  videoUpload: topicCatalog.videoCatalog,
  impression: topicCatalog.impressions,
  click: topicCatalog.clicks,
  watchHeartbeat: topicCatalog.watchHeartbeats,
  watchEnd: topicCatalog.watchEnds,
  engagement: topicCatalog.engagements,
} as const satisfies Record<ReplayEventKind, TopicSpec<unknown>>;

/** Every kind, in the order summaries list them. */
export const replayEventKinds: readonly ReplayEventKind[] = [
  'videoUpload',
  'impression',
  'click',
  'watchHeartbeat',
  'watchEnd',
  'engagement',
];

/** The record key: the id its topic is keyed by (schemas/topics.ts). */
export function replayKey(event: ReplayEvent): string {
  if (event.kind === 'videoUpload' || replayTopics[event.kind].key === 'videoId') {
    return event.value.videoId;
  }
  return event.value.userId;
}
