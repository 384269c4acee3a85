import { avroSerde, type SchemaCatalog, type Serde } from '../../operators/index.js';
import type { Click } from '../../schemas/generated/click.js';
import type { Engagement } from '../../schemas/generated/engagement.js';
import type { Impression } from '../../schemas/generated/impression.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import type { WatchHeartbeat } from '../../schemas/generated/watchHeartbeat.js';
import { allTopics, topicCatalog } from '../../schemas/topics.js';
import {
  eventTopics,
  keyOf,
  topicOf,
  type EventKind,
  type GeneratedEvent,
} from './generatedEvent.js';

/** The Avro value serde of every generated event kind. */
export interface EventSerdes {
  readonly impressions: Serde<Impression>;
  readonly clicks: Serde<Click>;
  readonly watchHeartbeats: Serde<WatchHeartbeat>;
  readonly watchEnds: Serde<WatchEnd>;
  readonly engagements: Serde<Engagement>;
  readonly videoCatalog: Serde<VideoUpload>;
}

/**
 * Avro serdes for the event topics, bound to `schemas` and registered under `<topic>-value`
 * for the given topic names, so `serialize` can be called right away.
 */
export async function preparedEventSerdes(
  schemas: SchemaCatalog,
  topics: Readonly<Record<EventKind, string>> = eventTopics,
): Promise<EventSerdes> {
  const serdes: EventSerdes = {
    impressions: avroSerde(topicCatalog.impressions.value),
    clicks: avroSerde(topicCatalog.clicks.value),
    watchHeartbeats: avroSerde(topicCatalog.watchHeartbeats.value),
    watchEnds: avroSerde(topicCatalog.watchEnds.value),
    engagements: avroSerde(topicCatalog.engagements.value),
    videoCatalog: avroSerde(topicCatalog.videoCatalog.value),
  };
  for (const [kind, serde] of Object.entries(serdes) as [keyof EventSerdes, Serde<unknown>][]) {
    serde.configure?.({ schemas });
    await serde.prepareSerialize?.({ topic: topics[kind], isKey: false });
  }
  return serdes;
}

/**
 * Registers the value schema of every topic in `schemas/topics.ts` under `<topic>-value`
 * (idempotent: the registry returns the existing id for a schema it has).
 */
export async function registerAllSchemas(schemas: SchemaCatalog): Promise<number> {
  for (const topic of allTopics) {
    const serde = avroSerde(topic.value);
    serde.configure?.({ schemas });
    await serde.prepareSerialize?.({ topic: topic.name, isKey: false });
  }
  return allTopics.length;
}

/**
 * The Kafka record of an event on `topic` (default: its topic in `schemas/topics.ts`): key
 * bytes, Avro value, event time as the timestamp.
 */
export function encodeEvent(
  serdes: EventSerdes,
  event: GeneratedEvent,
  topic: string = topicOf(event),
): { topic: string; key: Uint8Array; value: Uint8Array | null; timestamp: number } {
  const context = { topic, isKey: false };
  let value: Uint8Array | null;
  switch (event.kind) {
    case 'impressions':
      value = serdes.impressions.serialize(event.value, context);
      break;
    case 'clicks':
      value = serdes.clicks.serialize(event.value, context);
      break;
    case 'watchHeartbeats':
      value = serdes.watchHeartbeats.serialize(event.value, context);
      break;
    case 'watchEnds':
      value = serdes.watchEnds.serialize(event.value, context);
      break;
    case 'engagements':
      value = serdes.engagements.serialize(event.value, context);
      break;
    case 'videoCatalog':
      value = serdes.videoCatalog.serialize(event.value, context);
      break;
  }
  return { topic, key: Buffer.from(keyOf(event)), value, timestamp: event.value.eventTime };
}
