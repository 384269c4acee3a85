/**
 * The input of the kill -9 harness: N keyed Avro watch events, the same N for the same seed and
 * base time, produced fast into the (12-partition) input topic.
 *
 * The verifier never trusts this file: it recomputes the expected outputs from the input topic as
 * read back, so a change here cannot make a broken job pass.
 */
import type { Kafka, Message } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';

import { avroSerde } from '../../operators/index.js';
import type { SchemaCatalog } from '../../operators/serdes/serde.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import { chaosWatchEventSchema, type ChaosWatchEvent } from './generated/chaosWatchEvent.js';
import { reachable } from './reachable.js';

/** Shape of the generated traffic. Every field has a default; see {@link chaosEvents}. */
export interface ChaosTrafficOptions {
  readonly events: number;
  readonly seed: number;
  /** Event time of event 0, epoch ms (default {@link defaultBaseTimeMs}). */
  readonly baseTimeMs?: number;
  /** Distinct users (default 20,000), drawn Zipf-like: a few heavy viewers, a long tail. */
  readonly users?: number;
  /** Distinct videos (default 5,000), drawn Zipf-like: a few hits, a long tail. */
  readonly videos?: number;
}

/** Event time advances this much per event, so 2M events span 100 minutes of event time. */
export const eventSpacingMs = 3;
/**
 * 0.5% of events arrive up to 4 minutes out of order: within the 10-minute grace, so they still
 * count, but they exercise window updates behind stream time.
 */
const disorderedShare = 0.005;
const maxDisorderMs = 4 * 60_000;
/**
 * 0.05% of events are 20 to 30 minutes old: older than window size + grace (15 minutes), so
 * every window they fall in is already closed and they must show up on the late output.
 */
const lateShare = 0.0005;
const minLateMs = 20 * 60_000;
const lateSpreadMs = 10 * 60_000;

/**
 * Midnight UTC of yesterday: current enough for brokers that retain by time, and far enough in
 * the past that the 100 minutes of a long run never pass the broker's
 * `log.message.timestamp.after.max.ms` (one hour ahead by default). Stable within a day, so a
 * seed reproduces the same records all day; pass `baseTimeMs` to pin it.
 */
export function defaultBaseTimeMs(nowMs: number = Date.now()): number {
  const day = 86_400_000;
  return Math.floor(nowMs / day) * day - day;
}

/** Key of the i-th user or video: fixed width, so sizes do not depend on the rank. */
function idOf(prefix: string, rank: number): string {
  return `${prefix}${rank.toString(36).padStart(5, '0')}`;
}

/**
 * Samples ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent, by binary
 * search in the cumulative weights.
 */
function zipfSampler(n: number, exponent: number): (uniform: number) => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / Math.pow(rank + 1, exponent);
    cumulative[rank] = total;
  }
  return (uniform) => {
    const target = uniform * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? total) < target) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  };
}

/**
 * The events in production order. Each user's events carry seq 1, 2, 3, … in that order, and
 * since the user id is the record key they stay in that order in their partition. Event time is
 * `base + 3 ms × index`, except for the disordered and late shares described above; watchedMs is
 * uniform in [1 s, 10 min).
 */
export function* chaosEvents(options: ChaosTrafficOptions): Generator<ChaosWatchEvent> {
  const random = seededRandom(options.seed);
  const users = options.users ?? 20_000;
  const videos = options.videos ?? 5_000;
  // Exponent below 1 for users: the heaviest viewer has ~3% of the events, not ~10%, so one
  // partition is hot but not the whole run.
  const pickUser = zipfSampler(users, 0.8);
  const pickVideo = zipfSampler(videos, 1.0);
  const seqs = new Int32Array(users);
  const base = options.baseTimeMs ?? defaultBaseTimeMs();
  for (let index = 0; index < options.events; index++) {
    const user = pickUser(random());
    const video = pickVideo(random());
    const watchedMs = 1_000 + Math.floor(random() * 599_000);
    const shape = random();
    const delay = random();
    let eventTime = base + index * eventSpacingMs;
    if (shape < lateShare) {
      eventTime -= minLateMs + Math.floor(delay * lateSpreadMs);
    } else if (shape < lateShare + disorderedShare) {
      eventTime -= Math.floor(delay * maxDisorderMs);
    }
    const seq = (seqs[user] ?? 0) + 1;
    seqs[user] = seq;
    yield { userId: idOf('usr_', user), videoId: idOf('vid_', video), seq, watchedMs, eventTime };
  }
}

/** What {@link produceChaosInput} needs: a client, the registry, where to write and what. */
export interface ProduceChaosInputOptions extends ChaosTrafficOptions {
  readonly kafka: Kafka;
  readonly schemas: SchemaCatalog;
  readonly topic: string;
  /** Records per produce call (default 10,000). */
  readonly batchRecords?: number;
  readonly log?: (line: string) => void;
}

/**
 * Registers the schema under `<topic>-value` (topic-name strategy, as the job reads it) and
 * writes the events as Confluent wire-format Avro, key = userId, record timestamp = eventTime,
 * with acks=all.
 *
 * One produce call at a time, of 10,000 records: concurrent kafkajs `send` calls (as in
 * bench/stateless) can reach the broker out of order — a 20k-event run had 8% of its users' seqs
 * shuffled — and per-user seq order in the topic is part of what the harness promises. Large
 * batches keep it at ~55k events/s on the local stack, 85% of four calls in flight.
 *
 * @returns seconds spent producing
 */
export async function produceChaosInput(options: ProduceChaosInputOptions): Promise<number> {
  const { topic, events } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const batchRecords = options.batchRecords ?? 10_000;
  // Rides through a broker or registry outage. A send retried after it gave up may write some
  // partitions' records twice; the verifier reads the input back and expects what it finds.
  const reach = reachable(log);
  const serde = avroSerde(chaosWatchEventSchema);
  serde.configure?.({ schemas: options.schemas });
  await reach('register the input schema', async () =>
    serde.prepareSerialize?.({ topic, isKey: false }),
  );
  // Idempotent: a produce request retried after a partial failure (a partition of a topic
  // created a moment ago not ready yet) would otherwise write its other partitions' records
  // twice, and the run's input would not be the one the verifier expects.
  const producer = options.kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await reach('connect the producer', () => producer.connect());
  const started = performance.now();
  let acked = 0;
  let lastReport = started;
  const report = (): void => {
    const seconds = (performance.now() - started) / 1000;
    log(
      `generator: produced ${acked}/${events} events ` +
        `(${Math.round(acked / Math.max(seconds, 0.001))} events/s)`,
    );
  };
  try {
    let messages: Message[] = [];
    const flush = async (): Promise<void> => {
      await reach('produce input', () =>
        producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None }),
      );
      acked += messages.length;
      messages = [];
      if (acked < events && performance.now() - lastReport >= 2_000) {
        lastReport = performance.now();
        report();
      }
    };
    for (const event of chaosEvents(options)) {
      const value = serde.serialize(event, { topic, isKey: false });
      if (value === null) {
        throw new Error('the Avro serde wrote a null value');
      }
      messages.push({
        key: event.userId,
        value: Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        timestamp: String(event.eventTime),
      });
      if (messages.length === batchRecords) {
        await flush();
      }
    }
    if (messages.length > 0) {
      await flush();
    }
  } finally {
    await producer.disconnect();
  }
  report();
  return (performance.now() - started) / 1000;
}
