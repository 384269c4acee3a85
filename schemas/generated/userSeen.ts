// Generated from schemas/userSeen.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** A Bloom filter of videos that left the exact set. Video id v is in it when the bits at the indices of enhanced double hashing of the two 32-bit hashes of v (pipelines/seenSet.ts) are all set. */
export interface SeenFilter {
  /** The filter's bits, bit i at byte i >> 3, mask 1 << (i & 7); its size in bits is 8 times the byte count. */
  readonly bits: Buffer;
  /** Bit indices per video id. */
  readonly hashes: number;
  /** Video ids added to the filter. */
  readonly items: number;
}

/** Everything a user has seen (played, or acted on: liked, shared, followed from, disliked, dismissed), kept by the feature job per user in its user-seen store and published to features.user-seen once per commit, so the serving path never recommends it again. Bounded: the most recent videos exactly, the older ones in at most two Bloom filters. */
export interface UserSeen {
  /** Stable pseudonymous id of the user. */
  readonly userId: string;
  /** Ids of the most recently seen distinct videos, most recent first: an exact set, at most the job's exact limit (500 by default). */
  readonly recent: readonly string[];
  /** Bloom filters of the videos that left the exact set, newest first; at most two: when the newer is full, a new one starts and the oldest is dropped (its videos are forgotten). */
  readonly filters: readonly SeenFilter[];
  /** Event time of the latest event folded in, Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link UserSeen}, as registered in the schema registry. */
export const userSeenSchema: AvroSchema<UserSeen> = {
  name: 'reelstream.features.UserSeen',
  definition: {
    type: 'record',
    name: 'UserSeen',
    namespace: 'reelstream.features',
    doc: 'Everything a user has seen (played, or acted on: liked, shared, followed from, disliked, dismissed), kept by the feature job per user in its user-seen store and published to features.user-seen once per commit, so the serving path never recommends it again. Bounded: the most recent videos exactly, the older ones in at most two Bloom filters.',
    fields: [
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the user.' },
      {
        name: 'recent',
        type: { type: 'array', items: 'string' },
        doc: "Ids of the most recently seen distinct videos, most recent first: an exact set, at most the job's exact limit (500 by default).",
      },
      {
        name: 'filters',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'SeenFilter',
            doc: 'A Bloom filter of videos that left the exact set. Video id v is in it when the bits at the indices of enhanced double hashing of the two 32-bit hashes of v (pipelines/seenSet.ts) are all set.',
            fields: [
              {
                name: 'bits',
                type: 'bytes',
                doc: "The filter's bits, bit i at byte i >> 3, mask 1 << (i & 7); its size in bits is 8 times the byte count.",
              },
              { name: 'hashes', type: 'int', doc: 'Bit indices per video id.' },
              { name: 'items', type: 'int', doc: 'Video ids added to the filter.' },
            ],
          },
        },
        doc: 'Bloom filters of the videos that left the exact set, newest first; at most two: when the newer is full, a new one starts and the oldest is dropped (its videos are forgotten).',
      },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time of the latest event folded in, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
