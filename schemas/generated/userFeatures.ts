// Generated from schemas/userFeatures.avsc by `reelstream schemas generate`. Do not edit:
// change the .avsc file and regenerate.
import type { AvroSchema } from '../../operators/index.js';

/** One recent watch of the user. */
export interface WatchedVideo {
  /** Id of the video watched. */
  readonly videoId: string;
  /** Milliseconds watched in that playback. */
  readonly watchedMs: number;
  /** watchedMs / video duration (0 when the duration is unknown; above 1 on replays). */
  readonly watchRatio: number;
  /** When the playback ended, Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** An exponentially time-decayed score: its value at time t is score * 2^(-(t - updatedTime) / affinityHalfLifeMs). */
export interface Affinity {
  /** The score as of updatedTime. */
  readonly score: number;
  /** Event time of the last update of the score, Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The negative engagement kinds. */
export type NegativeFeedbackType = 'DISLIKE' | 'DISMISS';

/** A recent dislike or dismiss. */
export interface NegativeFeedback {
  /** Id of the video disliked or dismissed. */
  readonly videoId: string;
  /** Its creator. */
  readonly creatorId: string;
  /** Whether it was a dislike or a dismiss. */
  readonly type: NegativeFeedbackType;
  /** When it happened, Unix epoch milliseconds UTC. */
  readonly eventTime: number;
}

/** Real-time features of one user, built from the user's watch sessions and engagements. Keyed by user id on a compacted topic, co-partitioned with the user events and rec.requests, so a serving task finds the features of the users it serves in its own partition. */
export interface UserFeatures {
  /** Stable pseudonymous id of the user. */
  readonly userId: string;
  /** The last N watched videos, most recent first. */
  readonly lastWatched: readonly WatchedVideo[];
  /** Affinity per category id (the strongest categories only), from watch time and engagements. */
  readonly categoryAffinity: Readonly<Record<string, Affinity>>;
  /** Affinity per creator id (the strongest creators only), from watch time, likes, shares and follows. */
  readonly creatorAffinity: Readonly<Record<string, Affinity>>;
  /** Half-life of the affinity decay in milliseconds; readers decay scores to their own time with it. */
  readonly affinityHalfLifeMs: number;
  /** Mean watch ratio over the user's watches so far (0 when none). */
  readonly averageWatchRatio: number;
  /** Watch sessions the average is over. */
  readonly watchCount: number;
  /** Recent dislikes and dismisses, most recent first; the serving path filters these videos out. */
  readonly recentNegatives: readonly NegativeFeedback[];
  /** Event time of the latest event folded in, Unix epoch milliseconds UTC. */
  readonly updatedTime: number;
}

/** The Avro schema of {@link UserFeatures}, as registered in the schema registry. */
export const userFeaturesSchema: AvroSchema<UserFeatures> = {
  name: 'reelstream.features.UserFeatures',
  definition: {
    type: 'record',
    name: 'UserFeatures',
    namespace: 'reelstream.features',
    doc: "Real-time features of one user, built from the user's watch sessions and engagements. Keyed by user id on a compacted topic, co-partitioned with the user events and rec.requests, so a serving task finds the features of the users it serves in its own partition.",
    fields: [
      { name: 'userId', type: 'string', doc: 'Stable pseudonymous id of the user.' },
      {
        name: 'lastWatched',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'WatchedVideo',
            doc: 'One recent watch of the user.',
            fields: [
              { name: 'videoId', type: 'string', doc: 'Id of the video watched.' },
              { name: 'watchedMs', type: 'long', doc: 'Milliseconds watched in that playback.' },
              {
                name: 'watchRatio',
                type: 'double',
                doc: 'watchedMs / video duration (0 when the duration is unknown; above 1 on replays).',
              },
              {
                name: 'eventTime',
                type: { type: 'long', logicalType: 'timestamp-millis' },
                doc: 'When the playback ended, Unix epoch milliseconds UTC.',
              },
            ],
          },
        },
        doc: 'The last N watched videos, most recent first.',
      },
      {
        name: 'categoryAffinity',
        type: {
          type: 'map',
          values: {
            type: 'record',
            name: 'Affinity',
            doc: 'An exponentially time-decayed score: its value at time t is score * 2^(-(t - updatedTime) / affinityHalfLifeMs).',
            fields: [
              { name: 'score', type: 'double', doc: 'The score as of updatedTime.' },
              {
                name: 'updatedTime',
                type: { type: 'long', logicalType: 'timestamp-millis' },
                doc: 'Event time of the last update of the score, Unix epoch milliseconds UTC.',
              },
            ],
          },
        },
        doc: 'Affinity per category id (the strongest categories only), from watch time and engagements.',
      },
      {
        name: 'creatorAffinity',
        type: { type: 'map', values: 'Affinity' },
        doc: 'Affinity per creator id (the strongest creators only), from watch time, likes, shares and follows.',
      },
      {
        name: 'affinityHalfLifeMs',
        type: 'long',
        doc: 'Half-life of the affinity decay in milliseconds; readers decay scores to their own time with it.',
      },
      {
        name: 'averageWatchRatio',
        type: 'double',
        doc: "Mean watch ratio over the user's watches so far (0 when none).",
      },
      { name: 'watchCount', type: 'long', doc: 'Watch sessions the average is over.' },
      {
        name: 'recentNegatives',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'NegativeFeedback',
            doc: 'A recent dislike or dismiss.',
            fields: [
              { name: 'videoId', type: 'string', doc: 'Id of the video disliked or dismissed.' },
              { name: 'creatorId', type: 'string', doc: 'Its creator.' },
              {
                name: 'type',
                type: {
                  type: 'enum',
                  name: 'NegativeFeedbackType',
                  doc: 'The negative engagement kinds.',
                  symbols: ['DISLIKE', 'DISMISS'],
                },
                doc: 'Whether it was a dislike or a dismiss.',
              },
              {
                name: 'eventTime',
                type: { type: 'long', logicalType: 'timestamp-millis' },
                doc: 'When it happened, Unix epoch milliseconds UTC.',
              },
            ],
          },
        },
        doc: 'Recent dislikes and dismisses, most recent first; the serving path filters these videos out.',
      },
      {
        name: 'updatedTime',
        type: { type: 'long', logicalType: 'timestamp-millis' },
        doc: 'Event time of the latest event folded in, Unix epoch milliseconds UTC.',
      },
    ],
  },
};
