import type { Click } from '../../schemas/generated/click.js';
import type { Engagement } from '../../schemas/generated/engagement.js';
import type { Impression } from '../../schemas/generated/impression.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import type { WatchHeartbeat } from '../../schemas/generated/watchHeartbeat.js';
import { topicCatalog, type TopicName } from '../../schemas/topics.js';

/** The value type of each kind of generated event, by its topic's name in `topicCatalog`. */
export interface EventValues {
  readonly impressions: Impression;
  readonly clicks: Click;
  readonly watchHeartbeats: WatchHeartbeat;
  readonly watchEnds: WatchEnd;
  readonly engagements: Engagement;
  readonly videoCatalog: VideoUpload;
}

/** What the generator emits: `impressions`, `clicks`, … (the `topicCatalog` entry it goes to). */
export type EventKind = keyof EventValues;

/** One generated event: its kind and its typed value (every value has an `eventTime`). */
export type GeneratedEvent = {
  readonly [TKind in EventKind]: { readonly kind: TKind; readonly value: EventValues[TKind] };
}[EventKind];

/** Every event kind, in a fixed order. */
export const eventKinds: readonly EventKind[] = [
  'impressions',
  'clicks',
  'watchHeartbeats',
  'watchEnds',
  'engagements',
  'videoCatalog',
];

/** Where each kind of event goes: the topics of `schemas/topics.ts`. */
export const eventTopics: Readonly<Record<EventKind, TopicName>> = {
  impressions: topicCatalog.impressions.name,
  clicks: topicCatalog.clicks.name,
  watchHeartbeats: topicCatalog.watchHeartbeats.name,
  watchEnds: topicCatalog.watchEnds.name,
  engagements: topicCatalog.engagements.name,
  videoCatalog: topicCatalog.videoCatalog.name,
};

/** The topic an event goes to by default. */
export function topicOf(event: GeneratedEvent): TopicName {
  return eventTopics[event.kind];
}

/** The record key: the id its topic is keyed by (schemas/topics.ts). */
export function keyOf(event: GeneratedEvent): string {
  if (event.kind === 'videoCatalog' || topicCatalog[event.kind].key === 'videoId') {
    return event.value.videoId;
  }
  return event.value.userId;
}

/** The event time, Unix epoch milliseconds (also the Kafka record timestamp). */
export function eventTimeOf(event: GeneratedEvent): number {
  return event.value.eventTime;
}
