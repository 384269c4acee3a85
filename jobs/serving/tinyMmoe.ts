import assert from 'node:assert/strict';
import { join } from 'node:path';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { train } from '../cli/trainCommand.js';
import { dayMs, PartitionedExampleWriter } from '../training/exampleFiles.js';

/*
 * A tiny MMoE ranker for the ranking tests, trained by `reelstream train`'s own code path on
 * examples shaped like the generator's (clicks, watch times, shown positions): one epoch,
 * about 5 s. The callers skip when `trainerPython()` finds no trainer environment.
 */

export const day0 = Date.UTC(2026, 0, 5);
const categories = ['action', 'comedy', 'drama'];

export function featuresOf(
  user: string,
  history: readonly string[],
  at: number,
): UserFeatures | null {
  return history.length === 0
    ? null
    : {
        userId: user,
        lastWatched: history.slice(0, 50).map((videoId, k) => ({
          videoId,
          watchedMs: 10_000,
          watchRatio: 0.5,
          eventTime: at - (k + 1) * 1_000,
        })),
        categoryAffinity: Object.fromEntries(
          categories.map((c, k) => [c, { score: ((history.length + k) % 4) / 4, updatedTime: at }]),
        ),
        creatorAffinity: {},
        affinityHalfLifeMs: 3 * dayMs,
        averageWatchRatio: 0.5,
        watchCount: history.length,
        recentNegatives: [],
        updatedTime: at - 1_000,
      };
}

/** 12 users shown 30 videos over 4 days: clicks, watch times and positions like the generator's. */
function tinyExamples(): TrainingExample[] {
  const examples: TrainingExample[] = [];
  const watched = new Map<string, string[]>();
  for (let i = 0; i < 300; i++) {
    const user = `u${String(i % 12)}`;
    const video = `v${String((i * 7 + (i % 5)) % 30)}`;
    const at = day0 + Math.floor((i * 4 * dayMs) / 300) + (i % 12) * 1_000;
    const durationMs = 20_000 + ((i * 13) % 5) * 20_000;
    const affinity = (i * 3 + (i % 7)) % 5;
    const clicked = affinity >= 2 && i % 4 !== 0;
    const history = watched.get(user) ?? [];
    examples.push({
      userId: user,
      videoId: video,
      requestId: `r${String(i)}`,
      position: i % 10,
      exampleTime: at,
      labelTime: at + 30_000,
      watchedMs: clicked ? Math.round((durationMs * affinity) / 5) : 0,
      videoDurationMs: durationMs,
      clicked,
      rating: null,
      positive: null,
      disliked: false,
      features: featuresOf(user, history, at),
    });
    if (clicked) {
      watched.set(user, [video, ...history]);
    }
  }
  return examples;
}

/** Trains the tiny model into `dir`; its `mmoe` folder. */
export async function trainTinyMmoe(dir: string): Promise<string> {
  const writer = new PartitionedExampleWriter(join(dir, 'examples'));
  writer.add(tinyExamples());
  writer.close();
  const lines: string[] = [];
  const trained = await train(
    {
      examples: join(dir, 'examples'),
      out: join(dir, 'models'),
      epochs: 1,
      model: 'mmoe',
      extraArgs: [
        ...['--dim', '8', '--hidden', '16', '--experts', '2', '--batch-size', '32'],
        ...['--validation-fraction', '0.25', '--test-fraction', '0.25'],
      ],
    },
    (line) => lines.push(line),
  );
  assert.ok(trained.ok, trained.ok ? '' : `${trained.reason}\n${lines.join('\n')}`);
  return join(dir, 'models', 'mmoe');
}

/** A user without features as the recommender never ranks one: only for the test's types. */
export function emptyFeatures(userId: string): UserFeatures {
  return {
    userId,
    lastWatched: [],
    categoryAffinity: {},
    creatorAffinity: {},
    affinityHalfLifeMs: dayMs,
    averageWatchRatio: 0,
    watchCount: 0,
    recentNegatives: [],
    updatedTime: 0,
  };
}
