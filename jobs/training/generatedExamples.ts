import { avroSerde, Pipeline, stringSerde, TestDriver } from '../../operators/index.js';
import {
  trainingExamples,
  trainingExamplesSerdes,
  trainingExamplesTopic,
  type TrainingExample,
  type TrainingExamplesOptions,
} from '../../pipelines/trainingExamples.js';
import { topicCatalog, type TopicSpec } from '../../schemas/topics.js';
import { keyOf, type GeneratedEvent } from '../generator/generatedEvent.js';
import { take, TrafficGenerator } from '../generator/trafficGenerator.js';

/**
 * The traffic generator's events run offline through the training-examples job on the
 * TestDriver (no Kafka; the same operator code a Kafka job runs), in event-time order: the
 * demo's bootstrap (jobs/demo/demoTwoTower.ts) and `reelstream export-examples --generated`.
 *
 * With `feedbackWindowMs` every impression whose window closed before the last event is an
 * example, labelled `clicked` and `watchedMs` (pipelines/feedbackWindow.ts); impressions of the
 * last window are left out, not labelled as negatives. Without it, the label join: only the
 * impressions a watch end follows (the two-tower model's positives).
 */
export interface GeneratedExamplesOptions {
  readonly seed: number;
  /** Generated events (of every kind) piped through the job. */
  readonly events: number;
  /** Events per second of event time: lower spreads the same events over more time. */
  readonly rate: number;
  /** Event time of the first event, epoch ms. */
  readonly startTime: number;
  /** The generator's population scale (builtInPopulation.ts); the demo uses 0.001. */
  readonly scale?: number;
  readonly labels?: Pick<
    TrainingExamplesOptions,
    'feedbackWindowMs' | 'ratingOf' | 'labelWindowMs'
  >;
  readonly log?: (line: string) => void;
}

/** The examples, sorted by example time, user, position and request. */
export async function generatedExamples(
  options: GeneratedExamplesOptions,
): Promise<TrainingExample[]> {
  const traffic = new TrafficGenerator({
    seed: options.seed,
    rate: options.rate,
    scale: options.scale ?? 0.001,
    startTime: options.startTime,
  });
  const pipeline = new Pipeline();
  // In process, an impression's repartition is processed before the next record is read.
  trainingExamples(pipeline, { ...options.labels, versionToleranceMs: 0 });
  const driver = await TestDriver.start(pipeline, {
    applicationId: 'reelstream-generated-training',
  });
  try {
    const specs: Partial<Record<GeneratedEvent['kind'], TopicSpec<unknown>>> = {
      videoCatalog: topicCatalog.videoCatalog,
      impressions: topicCatalog.impressions,
      watchHeartbeats: topicCatalog.watchHeartbeats,
      watchEnds: topicCatalog.watchEnds,
      engagements: topicCatalog.engagements,
      ...(options.labels?.feedbackWindowMs === undefined ? {} : { clicks: topicCatalog.clicks }),
    };
    const inputs = new Map(
      Object.entries(specs).map(([kind, spec]) => [
        kind,
        driver.input(spec.name, { key: stringSerde, value: avroSerde(spec.value) }),
      ]),
    );
    const output = driver.output(trainingExamplesTopic, trainingExamplesSerdes);
    const examples: TrainingExample[] = [];
    // The driver keeps every record written to a topic until it is read: drop what no one reads.
    const kept = new Set(
      [
        ...driver.topology.sourceTopics(),
        ...driver.topology.changelogTopics().map((c) => c.name),
        ...driver.topology.subTopologies.flatMap((sub) =>
          sub.sinks.flatMap((sink) =>
            sink.topic.kind === 'dynamic' ? [] : [driver.topology.topic(sink.topic)],
          ),
        ),
      ].filter((topic) => topic !== trainingExamplesTopic),
    );
    const collect = async (): Promise<void> => {
      for (const topic of kept) {
        driver.drain(topic);
      }
      const deadLetters = driver.drain(driver.deadLetterTopic);
      if (deadLetters.length > 0) {
        throw new Error(
          `${deadLetters.length} records failed in the training-examples job: ${JSON.stringify(deadLetters[0]?.headers)}`,
        );
      }
      examples.push(...(await output.readValues()));
    };
    const events: GeneratedEvent[] = [
      ...traffic.catalogSnapshot(),
      ...take(traffic.events(), options.events),
    ];
    let piped = 0;
    for (const event of events) {
      const input = inputs.get(event.kind);
      if (input === undefined) {
        continue;
      }
      await input.pipe(keyOf(event), event.value, { timestamp: event.value.eventTime });
      if (++piped % 5_000 === 0) {
        await collect();
        options.log?.(`${piped} events piped, ${examples.length} examples`);
      }
    }
    await collect();
    return examples.sort(
      (a, b) =>
        a.exampleTime - b.exampleTime ||
        (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) ||
        a.position - b.position ||
        (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0),
    );
  } finally {
    await driver.close();
  }
}
