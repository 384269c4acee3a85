import { avroSerde, Pipeline, stringSerde, TestDriver } from '../../operators/index.js';
import {
  trainingExamples,
  trainingExamplesSerdes,
  trainingExamplesTopic,
  type TrainingExample,
} from '../../pipelines/trainingExamples.js';
import type { UserFeaturesOptions } from '../../pipelines/userFeatures.js';
import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import type { TopicSpec } from '../../schemas/topics.js';
import type { MovieLensData } from '../replay/movieLensTypes.js';
import { watchRatioByRating } from '../replay/ratingEvents.js';
import { replayKey, replayTopics, type ReplayEvent } from '../replay/replayEvent.js';
import { planReplay, replayEvents } from '../replay/replayPlan.js';
import { PartitionedExampleWriter, type ExampleFile } from './exampleFiles.js';

/**
 * The stars a replayed watch end stands for: the rating whose watch ratio
 * (ratingEvents.ts's `watchRatioByRating`) is nearest its own; null without a duration.
 */
export function movieLensRatingOf(watchEnd: WatchEnd): number | null {
  if (!(watchEnd.videoDurationMs > 0)) {
    return null;
  }
  const ratio = watchEnd.watchedMs / watchEnd.videoDurationMs;
  let best: number | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [stars, share] of Object.entries(watchRatioByRating)) {
    const distance = Math.abs(share - ratio);
    if (distance < bestDistance) {
      best = Number(stars);
      bestDistance = distance;
    }
  }
  return best;
}

/** From the impression to its watch end in a MovieLens replay: 1 s + at most 120 s. */
export const movieLensLabelWindowMs = 3 * 60_000;

export interface ExportSummary {
  readonly ratings: number;
  readonly records: number;
  readonly examples: number;
  readonly files: readonly ExampleFile[];
  readonly seconds: number;
}

/**
 * MovieLens replayed in-process through the training-examples job (pipelines/
 * trainingExamples.ts: watch sessions, user features and the examples, the same operator code
 * a Kafka job runs, here on the TestDriver), in event-time order with the data set's own
 * times, its examples written as Arrow files partitioned by `partitionMs` into `outDir`.
 *
 * `fromMs`/`untilMs` bound the ratings replayed (original Unix ms). `onExamples` sees every
 * example as it is emitted (the tests' point checks); `writes` chooses which are written
 * (the evaluation keeps its virtual examples at the cut-off out of the files). Clicks are not replayed: nothing in the
 * chain reads them.
 */
export async function exportMovieLensExamples(options: {
  readonly data: MovieLensData;
  readonly outDir: string;
  readonly fromMs?: number;
  readonly untilMs?: number;
  readonly partitionMs?: number;
  readonly userFeatures?: UserFeaturesOptions;
  readonly onExamples?: (examples: readonly TrainingExample[]) => void;
  /** Which examples go to the files (default: all); `onExamples` sees every one. */
  readonly writes?: (example: TrainingExample) => boolean;
  readonly onEvent?: (event: ReplayEvent) => void;
  readonly log?: (line: string) => void;
}): Promise<ExportSummary> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const plan = planReplay(options.data, {
    mode: 'original',
    nowMs: 0,
    ...(options.fromMs === undefined ? {} : { fromMs: options.fromMs }),
    ...(options.untilMs === undefined ? {} : { untilMs: options.untilMs }),
  });
  const pipeline = new Pipeline();
  trainingExamples(pipeline, {
    ratingOf: movieLensRatingOf,
    labelWindowMs: movieLensLabelWindowMs,
    // In process, an impression's repartition is processed before the next record is read.
    versionToleranceMs: 0,
    ...(options.userFeatures === undefined ? {} : { userFeatures: options.userFeatures }),
  });
  const driver = await TestDriver.start(pipeline, { applicationId: 'reelstream-training' });
  const writer = new PartitionedExampleWriter(options.outDir, {
    ...(options.partitionMs === undefined ? {} : { partitionMs: options.partitionMs }),
  });
  const output = driver.output(trainingExamplesTopic, trainingExamplesSerdes);
  // The replay's records as the job's sources read them: string keys, Avro values.
  const inputs = new Map(
    (['videoUpload', 'impression', 'watchHeartbeat', 'watchEnd', 'engagement'] as const).map(
      (kind) => {
        const spec = replayTopics[kind] as TopicSpec<unknown>;
        return [
          kind,
          driver.input(spec.name, { key: stringSerde, value: avroSerde(spec.value) }),
        ] as const;
      },
    ),
  );
  let records = 0;
  let examples = 0;
  let run: ReplayEvent[] = [];
  const pipeRun = async (): Promise<void> => {
    const first = run[0];
    if (first === undefined) {
      return;
    }
    const input = inputs.get(first.kind as Exclude<ReplayEvent['kind'], 'click'>);
    await input?.pipeMany(
      run.map((event) => ({
        key: replayKey(event),
        value: event.value,
        timestamp: event.value.eventTime,
      })),
    );
    records += run.length;
    run = [];
  };
  // The driver keeps every record written to a topic until it is read: drop what no one reads
  // here (inputs, repartitions, changelogs, the sessions topic), or the whole replay stays.
  const topology = driver.topology;
  const kept = [
    ...topology.sourceTopics(),
    ...topology.changelogTopics().map((c) => c.name),
    ...topology.subTopologies.flatMap((sub) =>
      sub.sinks.flatMap((sink) =>
        sink.topic.kind === 'dynamic' ? [] : [topology.topic(sink.topic)],
      ),
    ),
    ...[...inputs.keys()].map((kind) => replayTopics[kind].name),
  ].filter((topic) => topic !== trainingExamplesTopic);
  const collect = async (eventTime: number): Promise<void> => {
    for (const topic of new Set(kept)) {
      driver.drain(topic);
    }
    const deadLetters = driver.drain(driver.deadLetterTopic);
    if (deadLetters.length > 0) {
      throw new Error(
        `${deadLetters.length} records failed in the training-examples job: ${JSON.stringify(deadLetters[0]?.headers)}`,
      );
    }
    const emitted = await output.readValues();
    examples += emitted.length;
    options.onExamples?.(emitted);
    writer.add(options.writes === undefined ? emitted : emitted.filter(options.writes));
    for (const file of writer.flushBefore(eventTime - movieLensLabelWindowMs)) {
      log(`${file.path}: ${file.examples} examples`);
    }
  };
  try {
    let sinceCollect = 0;
    for (const event of replayEvents(plan)) {
      if (event.kind === 'click') {
        continue;
      }
      options.onEvent?.(event);
      // Consecutive records of one topic go as one batch; a change of topic keeps the order.
      if (run.length > 0 && run[0]?.kind !== event.kind) {
        await pipeRun();
      }
      run.push(event);
      if (++sinceCollect >= 5_000) {
        await pipeRun();
        await collect(event.value.eventTime);
        sinceCollect = 0;
      }
    }
    await pipeRun();
    await collect(Number.POSITIVE_INFINITY);
    for (const file of writer.close()) {
      log(`${file.path}: ${file.examples} examples`);
    }
  } finally {
    await driver.close();
  }
  return {
    ratings: plan.ratings.length,
    records,
    examples,
    files: writer.files,
    seconds: (performance.now() - started) / 1000,
  };
}
