// Generated from schemas/click.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Where in the app a list is shown. OTHER is the reader default for surfaces added later. */
export type Surface = 'HOME_FEED' | 'UP_NEXT' | 'FOLLOWING' | 'OTHER';

/** A user opened (tapped) a video from a recommendation list. Keyed by user id; carries the impression's request id and position so CTR and position bias need no join. */
export interface Click {
  /** Id of the recommendation request whose list held the clicked video. */
  readonly requestId: string;
  /** Stable pseudonymous id of the viewer. */
  readonly userId: string;
  /** Id of the video clicked. */
  readonly videoId: string;
  /** Zero-based position of the video in the list when it was clicked. */
  readonly position: number;
  /** The app surface the list was shown on. */
  readonly surface: Surface;
  /** When the user clicked (event time), Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** The Avro schema of {@link Click}, as registered in the schema registry. */
export const clickSchema: AvroSchema<Click> = {
  name: 'reelstream.events.Click',
  definition: {
    type: 'record',
    name: 'Click',
    namespace: 'reelstream.events',
    doc: "A user opened (tapped) a video from a recommendation list. Keyed by user id; carries the impression's request id and position so CTR and position bias need no join.",
    fields: [
      {
        name: 'requestId',
        type: 'string',
        doc: 'Id of the recommendation request whose list held the clicked video.',
      },
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the viewer.' },
      { name: 'videoId', type: 'string', doc: 'Id of the video clicked.' },
      {
        name: 'position',
        type: 'int',
        doc: 'Zero-based position of the video in the list when it was clicked.',
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
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the user clicked (event time), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
