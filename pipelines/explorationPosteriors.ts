/**
 * Exploration posteriors: per fresh video, a Beta(α, β) posterior of its click-through rate
 * from its impressions and clicks, published to the compacted
 * `features.exploration-posteriors` (keyed by video) for the serving layer's exploration slot
 * (pipelines/recommender/exploration.ts: Thompson sampling over the region's fresh uploads).
 *
 * **Inputs.** Impressions and clicks are both keyed by video id at their source
 * (schemas/topics.ts), so they meet in one task without a repartition. The upload time comes
 * from the catalogue (a global table: every task can look up any video).
 *
 * **Posterior.** α = α₀ + clicks, β = β₀ + max(0, impressions − clicks), with the prior
 * Beta(1, 1) by default: uniform, so a video nobody has seen yet is as likely to be drawn as
 * a proven one (the point of exploring). Clicks can outrun impressions for a moment (the two
 * topics are read at their own pace), hence the clamp. Every impression counts, not only the
 * exploration slot's: the posterior is the video's CTR as served, which is what the slot
 * compares. (Position bias is not corrected: fresh videos are shown lower than trending ones,
 * so their posteriors are a little pessimistic.)
 *
 * **Freshness.** Only events within `freshnessMs` of the video's upload count (event time, so a
 * replay publishes the same values). The first event of a video past the window deletes its
 * state and publishes a tombstone, so the topic and the serving layer's table hold fresh videos
 * only; a video that gets no event after it stops being fresh stays in the topic until one
 * comes, and readers check `uploadTime` themselves.
 *
 * **State** is one small record per fresh video in the RocksDB store `exploration-posteriors`
 * (change-logged); updates go out with `latestPerKey`, one record per video and commit.
 */
import {
  avroSerde,
  jsonSerde,
  keyValueStore,
  nullable,
  stringSerde,
  type GlobalTable,
  type Operator,
  type Stream,
} from '../operators/index.js';
import type { Click } from '../schemas/generated/click.js';
import type { ExplorationPosterior } from '../schemas/generated/explorationPosterior.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import { topicCatalog } from '../schemas/topics.js';

/** A video is fresh (explored) for a day after its upload: the FRESH lists' horizon in the demo. */
export const explorationFreshnessMs = 24 * 3_600_000;

/** The Beta prior before any impression: uniform. */
export const explorationPrior = { alpha: 1, beta: 1 } as const;

/** Serdes of the output topic: tombstones remove videos that are no longer fresh. */
export const explorationPosteriorSerdes = {
  key: stringSerde,
  value: nullable(avroSerde(topicCatalog.explorationPosteriors.value)),
} as const;

/** Names of the stateful steps: they name the RocksDB directory and the changelog. */
export const explorationPosteriorNames = {
  store: 'exploration-posteriors',
  withUpload: 'exploration-posterior-uploads',
} as const;

export interface ExplorationPosteriorsOptions {
  readonly inputs: {
    readonly impressions: Stream<string, Impression>;
    readonly clicks: Stream<string, Click>;
    readonly catalog: GlobalTable<string, VideoUpload>;
  };
  /** Default {@link explorationFreshnessMs}. */
  readonly freshnessMs?: number;
  /** Default {@link explorationPrior}. */
  readonly prior?: { readonly alpha: number; readonly beta: number };
}

/** One impression or click. */
interface Exposure {
  readonly click: boolean;
  readonly time: number;
}

/** One impression or click, with its video's upload time. */
interface ExposureEvent extends Exposure {
  readonly uploadTime: number;
}

interface PosteriorState {
  readonly impressions: number;
  readonly clicks: number;
  readonly uploadTime: number;
  readonly updatedTime: number;
}

/**
 * Adds the posteriors pipeline: impressions and clicks (keyed by video) →
 * `features.exploration-posteriors` (keyed by video; null once no longer fresh). Returns the
 * published stream.
 */
export function explorationPosteriors(
  options: ExplorationPosteriorsOptions,
): Stream<string, ExplorationPosterior | null> {
  const { impressions, clicks, catalog } = options.inputs;
  const freshnessMs = options.freshnessMs ?? explorationFreshnessMs;
  const prior = options.prior ?? explorationPrior;
  const store = keyValueStore({
    name: explorationPosteriorNames.store,
    key: stringSerde,
    value: jsonSerde<PosteriorState>(),
    changelog: true,
  });
  const events = impressions
    .mapValues((i): Exposure => ({ click: false, time: i.eventTime }), {
      name: 'exploration-impressions',
    })
    .merge(
      clicks.mapValues((c): Exposure => ({ click: true, time: c.eventTime }), {
        name: 'exploration-clicks',
      }),
      {
        name: 'exploration-merge-clicks',
      },
    )
    // An event of a video not (yet) in the catalogue is dropped: its freshness is unknown.
    .joinGlobal(
      catalog,
      (event, video): ExposureEvent => ({ ...event, uploadTime: video.uploadTime }),
      { name: explorationPosteriorNames.withUpload, key: (record) => record.key },
    );
  const update: Operator<string, ExposureEvent, string, ExplorationPosterior | null> = {
    async process(record, ctx) {
      const videoId = record.key;
      const event = record.value;
      const states = ctx.keyValueStore(store);
      const previous = await states.get(videoId);
      if (event.time - event.uploadTime > freshnessMs) {
        if (previous !== undefined) {
          states.delete(videoId);
          ctx.forward(record.withValue<ExplorationPosterior | null>(null));
        }
        ctx.count('explorationStaleEvents');
        return;
      }
      const state: PosteriorState = {
        impressions: (previous?.impressions ?? 0) + (event.click ? 0 : 1),
        clicks: (previous?.clicks ?? 0) + (event.click ? 1 : 0),
        uploadTime: event.uploadTime,
        updatedTime: Math.max(previous?.updatedTime ?? 0, event.time),
      };
      states.put(videoId, state);
      ctx.forward(
        record.withValue<ExplorationPosterior | null>(posteriorOf(videoId, state, prior)),
      );
    },
  };
  const posteriors = events.process(() => update, {
    name: explorationPosteriorNames.store,
    stores: [store],
    changesKey: false,
  });
  posteriors.to(topicCatalog.explorationPosteriors.name, explorationPosteriorSerdes, {
    name: 'exploration-posteriors-out',
    latestPerKey: true,
  });
  return posteriors;
}

function posteriorOf(
  videoId: string,
  state: PosteriorState,
  prior: { readonly alpha: number; readonly beta: number },
): ExplorationPosterior {
  return {
    videoId,
    alpha: prior.alpha + state.clicks,
    beta: prior.beta + Math.max(0, state.impressions - state.clicks),
    impressions: state.impressions,
    clicks: state.clicks,
    uploadTime: state.uploadTime,
    updatedTime: state.updatedTime,
  };
}
