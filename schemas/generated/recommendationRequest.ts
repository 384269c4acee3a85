// Generated from schemas/recommendationRequest.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Where in the app a list is shown. OTHER is the reader default for surfaces added later. */
export type Surface = 'HOME_FEED' | 'UP_NEXT' | 'FOLLOWING' | 'OTHER';

/** Optional client context of a request. */
export interface RequestContext {
  /** Video playing now, for up-next lists (its co-visitation neighbours are candidates); null on the home feed. */
  readonly currentVideoId: null | string;
  /** Device class (e.g. android, ios, web); null when unknown. */
  readonly device: null | string;
}

/** A client asks for a list of videos for one user, over Kafka request/reply on rec.requests (correlation id, reply topic and deadline travel in headers). Keyed by user id, so the request is served in the partition that holds the user's features. */
export interface RecommendationRequest {
  /** Unique id of the request; the reply and the impressions it produces carry it. */
  readonly requestId: string;
  /** Stable pseudonymous id of the user to recommend for. */
  readonly userId: string;
  /** Region the user is in now (e.g. eu-west); drives popular-in-region candidates and the fallback. */
  readonly region: string;
  /** The app surface that will show the list. */
  readonly surface: Surface;
  /** How many videos the client wants (the reply may hold fewer). */
  readonly count: number;
  /** When the client sent the request, Unix epoch milliseconds UTC. */
  readonly requestTime: number;
  /** Optional context (current video, device); null when the client sends none. */
  readonly context: null | RequestContext;
}

/** The Avro schema of {@link RecommendationRequest}, as registered in the schema registry. */
export const recommendationRequestSchema: AvroSchema<RecommendationRequest> = {
  name: 'reelstream.serving.RecommendationRequest',
  definition: {
    type: 'record',
    name: 'RecommendationRequest',
    namespace: 'reelstream.serving',
    doc: "A client asks for a list of videos for one user, over Kafka request/reply on rec.requests (correlation id, reply topic and deadline travel in headers). Keyed by user id, so the request is served in the partition that holds the user's features.",
    fields: [
      {
        name: 'requestId',
        type: 'string',
        doc: 'Unique id of the request; the reply and the impressions it produces carry it.',
      },
      {
        name: 'userId',
        type: 'string',
        doc: 'Stable pseudonymous id of the user to recommend for.',
      },
      {
        name: 'region',
        type: 'string',
        doc: 'Region the user is in now (e.g. eu-west); drives popular-in-region candidates and the fallback.',
      },
      {
        name: 'surface',
        type: {
          type: 'enum',
          name: 'Surface',
          doc: 'Where in the app a list is shown. OTHER is the reader default for surfaces added later.',
          symbols: ['HOME_FEED', 'UP_NEXT', 'FOLLOWING', 'OTHER'],
          default: 'OTHER',
        },
        doc: 'The app surface that will show the list.',
      },
      {
        name: 'count',
        type: 'int',
        doc: 'How many videos the client wants (the reply may hold fewer).',
      },
      {
        name: 'requestTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the client sent the request, Unix epoch milliseconds UTC.',
      },
      {
        name: 'context',
        type: [
          'null',
          {
            type: 'record',
            name: 'RequestContext',
            doc: 'Optional client context of a request.',
            fields: [
              {
                name: 'currentVideoId',
                type: ['null', 'string'],
                default: null,
                doc: 'Video playing now, for up-next lists (its co-visitation neighbours are candidates); null on the home feed.',
              },
              {
                name: 'device',
                type: ['null', 'string'],
                default: null,
                doc: 'Device class (e.g. android, ios, web); null when unknown.',
              },
            ],
          },
        ],
        default: null,
        doc: 'Optional context (current video, device); null when the client sends none.',
      },
    ],
  },
};
