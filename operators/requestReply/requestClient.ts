import { randomBytes, randomUUID } from 'node:crypto';

import type { ConnectionConfig } from '../config/connectionConfig.js';
import { createKafkaJs } from '../connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../connectors/kafka/kafkajsStreamClient.js';
import type {
  ConsumerSession,
  IncomingBatch,
  RecordProducer,
  StreamClient,
} from '../connectors/kafka/streamClient.js';
import type { OutgoingRecord } from '../runtime/rawRecord.js';
import { isTransient } from '../runtime/transientErrors.js';
import { RegistrySchemaCatalog } from '../serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../serdes/registryClient.js';
import type { SchemaCatalog, Serde } from '../serdes/serde.js';
import { headerText, requestHeaders } from './protocol.js';
import { replyTopicPrefix } from './replyTopicRules.js';

/**
 * The server answered with an error reply (bad request, handler failure, deadline exceeded).
 *
 * @category Request/reply
 */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/** No reply arrived within the request's timeout. @category Request/reply */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

/**
 * The client was closed before the reply arrived (or before the request was made): the reply,
 * if the server still sends one, goes to a topic that no longer exists, and the server
 * dead-letters it.
 *
 * @category Request/reply
 */
export class RequestClientClosedError extends Error {
  override readonly name = 'RequestClientClosedError';
}

/** @category Request/reply */
export interface RequestClientOptions<TKey, TRequest, TReply> {
  readonly connection: ConnectionConfig;
  readonly requestTopic: string;
  readonly serdes: {
    readonly key: Serde<TKey>;
    readonly request: Serde<TRequest>;
    readonly reply: Serde<TReply>;
  };
  /**
   * Where replies come back. Default: a topic of its own, `<requestTopic>.replies.<random>`,
   * created at start and deleted at close, so replies never go to another client. A serving
   * pipeline answers only on the topics its `replyTopics` allow (by default those of the
   * default form): a topic given here must be one of them.
   */
  readonly replyTopic?: string;
  /** A client to use instead of one made from `connection` (tests inject one). @internal */
  readonly client?: StreamClient;
  readonly schemas?: SchemaCatalog;
}

interface Waiting<TReply> {
  readonly resolve: (reply: TReply) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Sends requests to a serving pipeline and matches the replies. Thousands of requests can be in
 * flight at once on one consumer: requests issued in the same tick go out in one produce call,
 * replies are matched by correlation id, and a request that times out is forgotten at once, so
 * a late or unmatched reply costs nothing but a counter.
 *
 * @example
 * ```ts no-run
 * import { connectionConfigFromEnv, jsonSerde, RequestClient, stringSerde } from 'reelstream';
 *
 * // Not run by the tests: it needs a job serving rec.requests (see Pipeline.serve).
 * interface RecRequest { readonly userId: string; readonly count: number }
 * interface RecReply { readonly videoIds: readonly string[] }
 * const client = await RequestClient.start({
 *   connection: connectionConfigFromEnv(),
 *   requestTopic: 'rec.requests',
 *   serdes: { key: stringSerde, request: jsonSerde<RecRequest>(), reply: jsonSerde<RecReply>() },
 * });
 * const request: RecRequest = { userId: 'user-7', count: 10 };
 * const reply = await client.request(request, { key: request.userId, timeoutMs: 200 });
 * await client.close();
 * ```
 * @category Request/reply
 */
export class RequestClient<TKey, TRequest, TReply> {
  private readonly options: RequestClientOptions<TKey, TRequest, TReply>;
  private readonly client: StreamClient;
  private readonly replyTopic: string;
  private readonly ownsReplyTopic: boolean;
  private readonly waiting = new Map<string, Waiting<TReply>>();
  private queue: OutgoingRecord[] = [];
  private queued: Waiting<TReply>[] = [];
  private flushScheduled = false;
  private producer: RecordProducer | undefined;
  private consumer: ConsumerSession | undefined;
  private closing: Promise<void> | undefined;
  private readonly counters = { sent: 0, answered: 0, timedOut: 0, unmatchedReplies: 0 };

  private constructor(options: RequestClientOptions<TKey, TRequest, TReply>) {
    this.options = options;
    this.client =
      options.client ??
      new KafkajsStreamClient(
        createKafkaJs(options.connection, { clientId: 'reelstream-requests' }),
      );
    this.ownsReplyTopic = options.replyTopic === undefined;
    this.replyTopic =
      options.replyTopic ??
      `${replyTopicPrefix(options.requestTopic)}${randomBytes(6).toString('hex')}`;
  }

  static async start<TKey, TRequest, TReply>(
    options: RequestClientOptions<TKey, TRequest, TReply>,
  ): Promise<RequestClient<TKey, TRequest, TReply>> {
    const client = new RequestClient(options);
    try {
      await client.open();
    } catch (error) {
      // Nothing is left behind: the consumer, the producer and an own reply topic go.
      await client.close().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /** The topic this client's replies come back on. */
  get replyTo(): string {
    return this.replyTopic;
  }

  /** Requests in flight, and what happened to the others so far. */
  stats(): {
    inFlight: number;
    sent: number;
    answered: number;
    timedOut: number;
    unmatchedReplies: number;
  } {
    return { inFlight: this.waiting.size, ...this.counters };
  }

  /**
   * Sends one request; resolves with the reply, rejects on an error reply, after `timeoutMs`,
   * or with {@link RequestClientClosedError} when the client closes first.
   */
  request(payload: TRequest, options: { timeoutMs: number; key?: TKey }): Promise<TReply> {
    if (this.closing !== undefined) {
      return Promise.reject(new RequestClientClosedError('the request client is closed'));
    }
    const { serdes, requestTopic } = this.options;
    const correlationId = randomUUID();
    const record: OutgoingRecord = {
      topic: requestTopic,
      key:
        options.key === undefined
          ? null
          : serdes.key.serialize(options.key, { topic: requestTopic, isKey: true }),
      value: serdes.request.serialize(payload, { topic: requestTopic, isKey: false }),
      timestamp: Date.now(),
      headers: {
        [requestHeaders.correlationId]: correlationId,
        [requestHeaders.replyTo]: this.replyTopic,
        [requestHeaders.deadline]: String(Date.now() + options.timeoutMs),
      },
    };
    return new Promise<TReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiting.delete(correlationId)) {
          this.counters.timedOut += 1;
          reject(new RequestTimeoutError(`no reply within ${options.timeoutMs} ms`));
        }
      }, options.timeoutMs);
      const entry = { resolve, reject, timer };
      this.waiting.set(correlationId, entry);
      this.queue.push(record);
      this.queued.push(entry);
      this.scheduleFlush();
    });
  }

  /**
   * Rejects every request still waiting (those not sent yet are not sent), stops consuming
   * replies and deletes an own reply topic, even when stopping fails. Calling it again waits
   * for the first close.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.queue = [];
    this.queued = [];
    for (const [id, entry] of this.waiting) {
      clearTimeout(entry.timer);
      entry.reject(
        new RequestClientClosedError(`the request client closed before request ${id} was answered`),
      );
    }
    this.waiting.clear();
    try {
      await this.consumer?.stop();
      await this.producer?.close();
    } finally {
      if (this.ownsReplyTopic) {
        // A server may still answer on it: it dead-letters replies to a topic that is gone.
        await this.client.deleteTopics([this.replyTopic]).catch(() => undefined);
      }
    }
  }

  private async open(): Promise<void> {
    const { serdes, requestTopic } = this.options;
    const schemas =
      this.options.schemas ??
      new RegistrySchemaCatalog(createRegistryClient(this.options.connection.registry));
    for (const serde of [serdes.key, serdes.request, serdes.reply]) {
      serde.configure?.({ schemas });
    }
    await serdes.key.prepareSerialize?.({ topic: requestTopic, isKey: true });
    await serdes.request.prepareSerialize?.({ topic: requestTopic, isKey: false });
    if (this.ownsReplyTopic) {
      await this.client.ensureTopics([{ name: this.replyTopic, partitions: 1 }]);
    }
    this.producer = await this.client.producer();
    await this.openReplyConsumerRetrying();
  }

  /**
   * The first open of the reply consumer, tried again for up to 30 s when the broker is
   * unreachable or restarting, or when it does not list the client's own reply topic yet: a
   * broker may answer the consumer's first metadata request from an image older than the
   * topic's creation (seen on a loaded CI machine). Other errors fail the start at once.
   */
  private async openReplyConsumerRetrying(): Promise<void> {
    const giveUpAt = Date.now() + 30_000;
    for (let backoffMs = 200; ; backoffMs = Math.min(backoffMs * 2, 3_000)) {
      try {
        await this.openReplyConsumer();
        return;
      } catch (error) {
        const worthRetrying = isTransient(error) || (this.ownsReplyTopic && isMissingTopic(error));
        if (!worthRetrying || Date.now() + backoffMs > giveUpAt) {
          throw error;
        }
        await this.consumer?.stop().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  /**
   * Starts consuming the reply topic; resolves once the consumer owns its partition, so requests
   * go out only when their replies can be read. The group is this client's alone, with the
   * broker's shortest session (6 s by default): after a broker restart the coordinator holds
   * the group's old member until its session expires, and a new member waits that long before
   * it reads a reply. A consumer that crashes for good later (kafkajs restarts it itself on
   * retriable errors) is replaced, so the client never goes deaf.
   */
  private async openReplyConsumer(): Promise<void> {
    const consumer = this.client.consumer({
      groupId: `reelstream-replies-${randomUUID()}`,
      topics: [this.replyTopic],
      fromBeginning: this.ownsReplyTopic,
      commitIntervalMs: 5_000,
      concurrency: 1,
      sessionTimeoutMs: 6_000,
    });
    this.consumer = consumer;
    let opened = false;
    await new Promise<void>((resolve, reject) => {
      consumer
        .start({
          onBatch: (batch) => this.onReplies(batch),
          onRebalancing: () => undefined,
          onAssigned: () => {
            opened = true;
            resolve();
            return Promise.resolve();
          },
          onCrash: (error) => {
            if (!opened) {
              reject(error instanceof Error ? error : new Error(String(error)));
            } else if (this.closing === undefined && this.consumer === consumer) {
              void this.replaceReplyConsumer(consumer);
            }
          },
        })
        .catch(reject);
    });
  }

  private async replaceReplyConsumer(crashed: ConsumerSession): Promise<void> {
    await crashed.stop().catch(() => undefined);
    for (
      let backoffMs = 500;
      this.closing === undefined;
      backoffMs = Math.min(backoffMs * 2, 5_000)
    ) {
      try {
        await this.openReplyConsumer();
        if (this.closing !== undefined) {
          // close() began while this consumer was opening, and stopped the crashed one.
          await this.consumer?.stop().catch(() => undefined);
        }
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) {
      return;
    }
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const records = this.queue;
      const entries = this.queued;
      this.queue = [];
      this.queued = [];
      const producer = this.producer;
      if (producer === undefined || records.length === 0) {
        return; // closed in between: its close rejected them
      }
      producer.send(records).then(
        () => {
          this.counters.sent += records.length;
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          for (const entry of entries) {
            clearTimeout(entry.timer);
            entry.reject(failure);
          }
          for (const record of records) {
            this.waiting.delete(headerText(record.headers[requestHeaders.correlationId]) ?? '');
          }
        },
      );
    });
  }

  private async onReplies(batch: IncomingBatch): Promise<void> {
    const { serdes } = this.options;
    const context = { topic: batch.topic, isKey: false };
    await serdes.reply.prepareDeserialize?.(
      batch.records.map((r) => r.value),
      context,
    );
    for (const record of batch.records) {
      const correlationId = headerText(record.headers[requestHeaders.correlationId]);
      const entry = correlationId === undefined ? undefined : this.waiting.get(correlationId);
      if (correlationId === undefined || entry === undefined) {
        this.counters.unmatchedReplies += 1; // late (timed out) or not ours
        continue;
      }
      this.waiting.delete(correlationId);
      clearTimeout(entry.timer);
      this.counters.answered += 1;
      const errorCode = headerText(record.headers[requestHeaders.errorCode]);
      if (errorCode !== undefined) {
        entry.reject(
          new RequestFailedError(
            errorCode,
            headerText(record.headers[requestHeaders.errorMessage]) ?? '',
          ),
        );
        continue;
      }
      try {
        entry.resolve(serdes.reply.deserialize(record.value, context));
      } catch (error) {
        entry.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}

/** kafkajs's error for a topic the broker does not list (UNKNOWN_TOPIC_OR_PARTITION). */
function isMissingTopic(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'type' in error &&
    error.type === 'UNKNOWN_TOPIC_OR_PARTITION'
  );
}
