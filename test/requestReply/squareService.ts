import { randomUUID } from 'node:crypto';

import pino from 'pino';

import {
  avroSerde,
  deadLetterHeaders,
  jsonSerde,
  Pipeline,
  RequestClient,
  requestHeaders,
  StreamJob,
  stringSerde,
  type ReplyTopicRules,
  type Serde,
} from '../../operators/index.js';
import type { RawRecord } from '../../operators/runtime/rawRecord.js';
import { squareReplySchema, type SquareReply } from '../fixtures/schemas/generated/squareReply.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { client, readRaw } from '../support/records.js';

/**
 * The service the request/reply tests attack: it squares numbers, replies in Avro (so a reply
 * topic's subject can hold another schema) and fails when asked to.
 */
export interface SquareRequest {
  readonly n: number;
  readonly fail?: boolean;
}

/** Fresh serdes: an Avro serde remembers the schema ids of the catalog it was configured with. */
export function squareSerdes(): {
  key: Serde<string>;
  request: Serde<SquareRequest>;
  reply: Serde<SquareReply>;
} {
  return {
    key: stringSerde,
    request: jsonSerde<SquareRequest>(),
    reply: avroSerde(squareReplySchema),
  };
}

export interface SquareService {
  readonly job: StreamJob;
  readonly requestTopic: string;
  /** A client of the service's own kind (its reply topic is in the allow-list). */
  readonly client: RequestClient<string, SquareRequest, SquareReply>;
  stop(): Promise<void>;
}

/** Starts the service on a topic of its own, and a client that got one answer from it. */
export async function startSquareService(
  options: {
    replyTopics?: ReplyTopicRules;
    partitions?: number;
    guarantee?: 'at-least-once' | 'exactly-once';
  } = {},
): Promise<SquareService> {
  const requestTopic = uniqueName('squares');
  await createTopics([requestTopic], { partitions: options.partitions ?? 2 });
  const pipeline = new Pipeline();
  pipeline.serve({
    name: 'squares',
    topic: requestTopic,
    serdes: squareSerdes(),
    ...(options.replyTopics === undefined ? {} : { replyTopics: options.replyTopics }),
    handle: (request) => {
      if (request.fail === true) {
        throw new Error(`asked to fail on ${request.n}`);
      }
      return { n: request.n, square: request.n * request.n };
    },
  });
  const job = new StreamJob({
    pipeline,
    applicationId: uniqueName('squares-job'),
    connection,
    commitIntervalMs: 200,
    guarantee: options.guarantee ?? 'at-least-once',
    // SQUARES_LOG=info shows the job's log on stderr (what a failed run was doing).
    logger: pino({ level: process.env['SQUARES_LOG'] ?? 'error' }, pino.destination(2)),
  });
  await job.start();
  const requests = await RequestClient.start({ connection, requestTopic, serdes: squareSerdes() });
  // The first request waits for the job's group to form.
  await requests.request({ n: 1 }, { key: 'warm-up', timeoutMs: 60_000 });
  return {
    job,
    requestTopic,
    client: requests,
    stop: async () => {
      await requests.close();
      await job.stop();
    },
  };
}

/**
 * Writes one request as anyone with write access to the request topic can: any key, any bytes,
 * any reply-to. Returns its correlation id.
 */
export async function sendRawRequest(
  requestTopic: string,
  request: {
    replyTo: string;
    key?: string;
    /** The request's bytes: JSON of a {@link SquareRequest}, or garbage. */
    value: string;
    deadline?: number;
  },
): Promise<string> {
  const correlationId = randomUUID();
  const producer = await client.producer();
  try {
    await producer.send([
      {
        topic: requestTopic,
        key: request.key === undefined ? null : Buffer.from(request.key),
        value: Buffer.from(request.value),
        timestamp: Date.now(),
        headers: {
          [requestHeaders.correlationId]: correlationId,
          [requestHeaders.replyTo]: request.replyTo,
          ...(request.deadline === undefined
            ? {}
            : { [requestHeaders.deadline]: String(request.deadline) }),
        },
      },
    ]);
  } finally {
    await producer.close();
  }
  return correlationId;
}

/** The job's dead letters (at least `count`), by the correlation id of their request. */
export async function deadLettersById(
  job: StreamJob,
  count: number,
): Promise<Map<string, RawRecord[]>> {
  const letters = await readRaw(job.deadLetterTopic, count, { timeoutMs: 60_000 });
  const byId = new Map<string, RawRecord[]>();
  for (const letter of letters) {
    const id = headerString(letter, requestHeaders.correlationId) ?? '';
    byId.set(id, [...(byId.get(id) ?? []), letter]);
  }
  return byId;
}

/** A header of a record read from Kafka, as text. */
export function headerString(record: RawRecord, name: string): string | undefined {
  const value = record.headers[name];
  return value === undefined ? undefined : Buffer.from(value).toString('utf8');
}

/** The reply reason a dead letter carries, if it is one of an undeliverable reply. */
export function replyReasonOf(letter: RawRecord): string | undefined {
  return headerString(letter, deadLetterHeaders.replyReason);
}
