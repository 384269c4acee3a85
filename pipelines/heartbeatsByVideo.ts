import { avroSerde, type Pipeline, stringSerde } from '../operators/index.js';
import { watchHeartbeatSchema } from '../schemas/generated/watchHeartbeat.js';

/** Topics of the pipeline; inputs are keyed by user, the output by video. */
export const heartbeatsByVideoTopics = {
  input: 'events.watch-heartbeats',
  output: 'events.watch-heartbeats-by-video',
} as const;

const heartbeats = { key: stringSerde, value: avroSerde(watchHeartbeatSchema) };

/**
 * Re-keys player heartbeats from user to video, through a repartition topic, so that every
 * heartbeat of one video lands in one partition: what per-video counts and features are
 * computed from. Heartbeats without playback (watchedMs 0) are dropped.
 */
export function heartbeatsByVideo(pipeline: Pipeline): void {
  pipeline
    .source(heartbeatsByVideoTopics.input, heartbeats, { name: 'heartbeats' })
    .filter((heartbeat) => heartbeat.watchedMs > 0, { name: 'played' })
    .selectKey((record) => record.value.videoId, { name: 'video-key' })
    .groupByKey({ name: 'by-video', serdes: heartbeats })
    .stream()
    .to(heartbeatsByVideoTopics.output, heartbeats, { name: 'by-video-out' });
}
