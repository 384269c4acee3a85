// Generated from bench/stateless/benchEvent.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../../operators/index.js';

/** A video watch event, ~200 bytes in Confluent wire format: the input of bench/stateless. Generated deterministically by bench/stateless/generator.ts. */
export interface BenchWatchEvent {
  /** Unique id of the event, a UUID (36 characters). */
  readonly eventId: string;
  /** Viewer, e.g. usr_00a3f9k2 (12 characters); the input record key. */
  readonly userId: string;
  /** Video watched, e.g. vid_dQw4w9WgXcQ (15 characters); the output record key. */
  readonly videoId: string;
  /** Playback session, 32 hex characters. */
  readonly sessionId: string;
  /** Channel that published the video, e.g. crt_0k3j9x1 (11 characters). */
  readonly creatorId: string;
  /** Video category in lower case, e.g. music, gaming; the bench upper-cases it. */
  readonly category: string;
  /** Serving region, e.g. eu-west-1. */
  readonly region: string;
  /** ISO 3166-1 alpha-2 country code of the viewer. */
  readonly country: string;
  /** BCP 47 language tag of the viewer's UI, e.g. en-US. */
  readonly language: string;
  /** Device class, e.g. android-phone, smart-tv. */
  readonly device: string;
  /** Client application version, e.g. 5.12.3. */
  readonly appVersion: string;
  /** Connection type: wifi, cellular, ethernet. */
  readonly network: string;
  /** Surface the video was started from, e.g. home_feed, search. */
  readonly referrer: string;
  /** How long the video was watched in this session, in milliseconds. */
  readonly watchedMs: number;
  /** Length of the video, in milliseconds (never 0). */
  readonly durationMs: number;
  /** Position of the video in the surface it was started from (0 = first). */
  readonly position: number;
  /** Whether playback started without a tap. */
  readonly autoplay: boolean;
  /** When the session ended, epoch milliseconds. */
  readonly eventTime: number;
}

/** The Avro schema of {@link BenchWatchEvent}, as registered in the schema registry. */
export const benchWatchEventSchema: AvroSchema<BenchWatchEvent> = {
  name: 'dev.reelstream.bench.BenchWatchEvent',
  definition: {
    type: 'record',
    name: 'BenchWatchEvent',
    namespace: 'dev.reelstream.bench',
    doc: 'A video watch event, ~200 bytes in Confluent wire format: the input of bench/stateless. Generated deterministically by bench/stateless/generator.ts.',
    fields: [
      { name: 'eventId', type: 'string', doc: 'Unique id of the event, a UUID (36 characters).' },
      {
        name: 'userId',
        type: 'string',
        doc: 'Viewer, e.g. usr_00a3f9k2 (12 characters); the input record key.',
      },
      {
        name: 'videoId',
        type: 'string',
        doc: 'Video watched, e.g. vid_dQw4w9WgXcQ (15 characters); the output record key.',
      },
      { name: 'sessionId', type: 'string', doc: 'Playback session, 32 hex characters.' },
      {
        name: 'creatorId',
        type: 'string',
        doc: 'Channel that published the video, e.g. crt_0k3j9x1 (11 characters).',
      },
      {
        name: 'category',
        type: 'string',
        doc: 'Video category in lower case, e.g. music, gaming; the bench upper-cases it.',
      },
      { name: 'region', type: 'string', doc: 'Serving region, e.g. eu-west-1.' },
      { name: 'country', type: 'string', doc: 'ISO 3166-1 alpha-2 country code of the viewer.' },
      {
        name: 'language',
        type: 'string',
        doc: "BCP 47 language tag of the viewer's UI, e.g. en-US.",
      },
      { name: 'device', type: 'string', doc: 'Device class, e.g. android-phone, smart-tv.' },
      { name: 'appVersion', type: 'string', doc: 'Client application version, e.g. 5.12.3.' },
      { name: 'network', type: 'string', doc: 'Connection type: wifi, cellular, ethernet.' },
      {
        name: 'referrer',
        type: 'string',
        doc: 'Surface the video was started from, e.g. home_feed, search.',
      },
      {
        name: 'watchedMs',
        type: 'long',
        doc: 'How long the video was watched in this session, in milliseconds.',
      },
      { name: 'durationMs', type: 'long', doc: 'Length of the video, in milliseconds (never 0).' },
      {
        name: 'position',
        type: 'int',
        doc: 'Position of the video in the surface it was started from (0 = first).',
      },
      { name: 'autoplay', type: 'boolean', doc: 'Whether playback started without a tap.' },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the session ended, epoch milliseconds.',
      },
    ],
  },
};
