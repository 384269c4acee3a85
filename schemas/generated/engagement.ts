// Generated from schemas/engagement.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** Kinds of explicit feedback: LIKE, SHARE and FOLLOW are positive; DISLIKE ("not interested") and DISMISS (hide from feed) are negative and exclude the video from later recommendations. */
export type EngagementType = 'LIKE' | 'SHARE' | 'FOLLOW' | 'DISLIKE' | 'DISMISS';

/** An explicit feedback action of a user on a video (like, share, follow its creator, dislike, dismiss). Keyed by user id. */
export interface Engagement {
  /** Stable pseudonymous id of the user who acted. */
  readonly userId: string;
  /** Id of the video acted on. */
  readonly videoId: string;
  /** Id of the video's creator as the client showed it; the followed account for FOLLOW, and what creator affinity is updated with. */
  readonly creatorId: string;
  /** What the user did. */
  readonly type: EngagementType;
  /** Id of the recommendation request the video was shown in, when the action was on a recommended video; null otherwise. */
  readonly requestId: null | string;
  /** When the user acted (event time), Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** The Avro schema of {@link Engagement}, as registered in the schema registry. */
export const engagementSchema: AvroSchema<Engagement> = {
  name: 'reelstream.events.Engagement',
  definition: {
    type: 'record',
    name: 'Engagement',
    namespace: 'reelstream.events',
    doc: 'An explicit feedback action of a user on a video (like, share, follow its creator, dislike, dismiss). Keyed by user id.',
    fields: [
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the user who acted.' },
      { name: 'videoId', type: 'string', doc: 'Id of the video acted on.' },
      {
        name: 'creatorId',
        type: 'string',
        doc: "Id of the video's creator as the client showed it; the followed account for FOLLOW, and what creator affinity is updated with.",
      },
      {
        name: 'type',
        type: {
          type: 'enum',
          name: 'EngagementType',
          doc: 'Kinds of explicit feedback: LIKE, SHARE and FOLLOW are positive; DISLIKE ("not interested") and DISMISS (hide from feed) are negative and exclude the video from later recommendations.',
          symbols: ['LIKE', 'SHARE', 'FOLLOW', 'DISLIKE', 'DISMISS'],
        },
        doc: 'What the user did.',
      },
      {
        name: 'requestId',
        type: ['null', 'string'],
        default: null,
        doc: 'Id of the recommendation request the video was shown in, when the action was on a recommended video; null otherwise.',
      },
      {
        name: 'eventTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'When the user acted (event time), Unix epoch milliseconds UTC.',
      },
    ],
  },
};
