import { setTimeout as sleep } from 'node:timers/promises';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { untilReachable, type ConnectionConfig } from '../../operators/index.js';
import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { defaultPartitions } from '../../schemas/topics.js';
import { encodeEvent, preparedEventSerdes } from './eventSerdes.js';
import { eventTopics, type EventKind, type GeneratedEvent } from './generatedEvent.js';
import { Pacer } from './pacer.js';
import { ProgressReporter } from './progressReporter.js';
import { provisionTopics } from './provisionTopics.js';
import { take, type TrafficGenerator } from './trafficGenerator.js';

/** When the job stops (the first limit reached wins; none: until aborted). */
export interface TrafficLimits {
  readonly maxEvents?: number;
  /** Event time the traffic runs for, from the start, in milliseconds. */
  readonly durationMs?: number;
}

/** What a run produced. */
export interface TrafficSummary {
  readonly produced: number;
  readonly seconds: number;
  readonly byKind: string;
}

const maxBatch = 5_000;
/**
 * How long a paced event may wait for others to share its produce request (Kafka's
 * `linger.ms`). Flushing whenever the next event was not yet due sent a request every
 * millisecond or so at 5,000 events/s, a handful of records each: the demo's process spent a
 * fifth of its time in socket writes, and the broker and the feature job paid per request and
 * per record batch.
 */
const lingerMs = 20;

/**
 * The generator as a job: creates the topics and registers the schemas (idempotent), then
 * produces the catalogue snapshot (unless `catalog` is false) and the traffic to Kafka, Avro
 * values keyed by user (events) or video (catalogue), each record stamped with its event time.
 * Event time is paced against the wall clock at `speed` (1: real time; Infinity: as fast as
 * Kafka takes it). Prints a progress line every `progressIntervalMs`. Stops at a limit or when
 * `signal` aborts, after sending what it has.
 */
export async function produceTraffic(options: {
  connection: ConnectionConfig;
  traffic: TrafficGenerator;
  limits: TrafficLimits;
  speed: number;
  catalog: boolean;
  progressIntervalMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  /**
   * Other topic names per event kind (tests, isolated load tests): these topics are created
   * with the catalogue's partition count instead of provisioning the catalogue's topics.
   */
  topics?: Readonly<Record<EventKind, string>>;
}): Promise<TrafficSummary> {
  const { log } = options;
  const client = new KafkajsStreamClient(
    createKafkaJs(options.connection, { clientId: 'reelstream-generator' }),
  );
  const schemas = new RegistrySchemaCatalog(createRegistryClient(options.connection.registry));
  const topics = options.topics ?? eventTopics;
  if (options.topics === undefined) {
    const provisioned = await provisionTopics({ client, schemas });
    log(`topics ready (${provisioned.topics}), value schemas registered (${provisioned.schemas})`);
  } else {
    await client.ensureTopics(
      [...new Set(Object.values(topics))].map((name) => ({ name, partitions: defaultPartitions })),
    );
  }
  const serdes = await preparedEventSerdes(schemas, topics);
  const producer = await client.producer({ idempotent: true });
  const progress = new ProgressReporter({ log, intervalMs: options.progressIntervalMs });
  const pacer = new Pacer(options.speed);
  let batch: OutgoingRecord[] = [];
  let batchStarted = 0;
  const flush = async (): Promise<void> => {
    if (batch.length > 0) {
      const sending = batch;
      batch = [];
      // A broker that is down or restarting holds the traffic back, never ends it: the batch
      // is sent again until it is taken (the idempotent producer keeps its sequence numbers,
      // so a send that did land is not written twice). Traffic made meanwhile waits behind it.
      await untilReachable(() => producer.send(sending), {
        maxBackoffMs: 5_000,
        onRetry: ({ attempt, outageMs, retryInMs, cause }) => {
          if (attempt === 1 || outageMs - lastOutageLog >= 10_000) {
            lastOutageLog = outageMs;
            log(
              `broker unreachable for ${(outageMs / 1000).toFixed(0)} s (${cause}): ${sending.length} events held, retrying every ${retryInMs / 1000} s`,
            );
          }
        },
      });
      if (lastOutageLog >= 0) {
        log('broker reachable again: traffic resumes');
        lastOutageLog = -1;
      }
    }
    progress.maybeReport();
  };
  let lastOutageLog = -1;
  try {
    for (const event of limited(options)) {
      if (options.signal?.aborted === true) {
        break;
      }
      if (progress.produced === 0) {
        progress.restart(); // the clock starts at the first event, after the warm-up
      }
      const delay = pacer.delayFor(event.value.eventTime);
      if (delay > 0) {
        // What waits in the batch would wait longer than its linger: send it first.
        if (batch.length > 0 && performance.now() + delay - batchStarted >= lingerMs) {
          await flush();
        }
        await sleep(delay);
      }
      if (batch.length === 0) {
        batchStarted = performance.now();
      }
      batch.push({ ...encodeEvent(serdes, event, topics[event.kind]), headers: {} });
      progress.add(event.kind, event.value.eventTime);
      if (batch.length >= maxBatch || performance.now() - batchStarted >= lingerMs) {
        await flush();
      }
    }
    await flush();
  } finally {
    await producer.close();
  }
  return {
    produced: progress.produced,
    seconds: progress.elapsedSeconds(),
    byKind: progress.byKind(),
  };
}

/** The catalogue snapshot (optionally), then the traffic, cut at the limits. */
function* limited(options: {
  traffic: TrafficGenerator;
  limits: TrafficLimits;
  catalog: boolean;
}): Generator<GeneratedEvent> {
  const { traffic, limits } = options;
  const endTime = traffic.startTime + (limits.durationMs ?? Infinity);
  function* all(): Generator<GeneratedEvent> {
    if (options.catalog) {
      yield* traffic.catalogSnapshot();
    }
    for (const event of traffic.events()) {
      if (event.value.eventTime >= endTime) {
        return;
      }
      yield event;
    }
  }
  yield* take(all(), limits.maxEvents ?? Infinity);
}
