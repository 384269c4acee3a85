// Generated from schemas/impression.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Where in the app a list is shown. OTHER is the reader default for surfaces added later. */
export type Surface = 'HOME_FEED' | 'UP_NEXT' | 'FOLLOWING' | 'OTHER';

/** One video shown to a user in a recommendation list (one record per item of a reply, with its position). Keyed by user id, like every user-originated event, so a user's impressions, clicks, heartbeats, watch ends and engagements share a partition. */
export interface Impression {
  /** Id of the recommendation request whose reply listed the video; joins impressions to clicks and watches of the same list. */
  readonly requestId: string;
  /** Stable pseudonymous id of the viewer. */
  readonly userId: string;
  /** Id of the video shown. */
  readonly videoId: string;
  /** Zero-based rank of the video in the list as shown (0 is the top slot); the position feature for bias correction. */
  readonly position: number;
  /** The app surface the list was shown on. */
  readonly surface: Surface;
  /** Version of the recommender that produced the list (e.g. covis-v1), for A/B analysis and training-data selection. */
  readonly modelVersion: string;
  /** When the video was shown (event time), Unix epoch milliseconds UTC. */
  readonly eventTime: number;
  /** The ranking model's calibrated click probability when the video was served; null when no model ranked the list. Joined with clicks by the calibration monitor. */
  readonly predictedClick: null | number;
  /** True when the video filled the exploration slot (Thompson sampling over fresh videos) rather than being chosen by the ranking: unbiased data for training. */
  readonly explored: boolean;
}

/** The Avro schema of {@link Impression}, as registered in the schema registry. */
export const impressionSchema: AvroSchema<Impression> = {
  name: 'reelstream.events.Impression',
  definition: {
    type: 'record',
    name: 'Impression',
    namespace: 'reelstream.events',
    doc: "One video shown to a user in a recommendation list (one record per item of a reply, with its position). Keyed by user id, like every user-originated event, so a user's impressions, clicks, heartbeats, watch ends and engagements share a partition.",
    fields: [
      {
        name: 'requestId',
        type: 'string',
        doc: 'Id of the recommendation request whose reply listed the video; joins impressions to clicks and watches of the same list.',
      },
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the viewer.' },
      { name: 'videoId', type: 'string', doc: 'Id of the video shown.' },
      {
        name: 'position',
        type: 'int',
        doc: 'Zero-based rank of the video in the list as shown (0 is the top slot); the position feature for bias correction.',
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
        doc: 'The app surface the list was shown on.',
      },
      {
        name: 'modelVersion',
        type: 'string',
        doc: 'Version of the recommender that produced the list (e.g. covis-v1), for A/B analysis and training-data selection.',
      },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the video was shown (event time), Unix epoch milliseconds UTC.',
      },
      {
        name: 'predictedClick',
        type: ['null', 'double'],
        default: null,
        doc: "The ranking model's calibrated click probability when the video was served; null when no model ranked the list. Joined with clicks by the calibration monitor.",
      },
      {
        name: 'explored',
        type: 'boolean',
        default: false,
        doc: 'True when the video filled the exploration slot (Thompson sampling over fresh videos) rather than being chosen by the ranking: unbiased data for training.',
      },
    ],
  },
};
