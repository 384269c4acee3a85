import type { Operator } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { GlobalTable } from '../dsl/globalTable.js';
import type { Table } from '../dsl/table.js';
import { lookupGlobal, lookupGlobalAll } from '../joins/globalLookup.js';
import { prepareStateSerdes } from '../joins/stateSerdes.js';
import type { KeyValueState } from '../state/keyValueState.js';
import type { StoreDefinition } from '../state/storeDefinition.js';
import { errorMessage } from '../runtime/failurePolicy.js';
import {
  headerText,
  requestErrorCodes,
  requestHeaders,
  type RequestErrorCode,
} from './protocol.js';
import { refusalDetail, refusalOf, type ReplyTopicRules } from './replyTopicRules.js';
import { UndeliverableReplyError } from './undeliverableReply.js';

/**
 * What a handler may read besides its request: any key of the job's global tables (the
 * features of candidate videos, say), local to every instance, and the request's own key in
 * the tables given to `serve` (`tables`: the requesting user's features, say), local to the
 * request's task. A global value is decoded once and shared by every lookup until the topic
 * changes it: handlers read values and never change them.
 *
 * @category Request/reply
 */
export interface ServeLookups<TRequestKey = unknown> {
  global<TKey, TValue>(table: GlobalTable<TKey, TValue>, key: TKey): Promise<TValue | undefined>;
  /** Many keys of one table, their values in the keys' order: cheaper than one call each. */
  globalAll<TKey, TValue>(
    table: GlobalTable<TKey, TValue>,
    keys: readonly TKey[],
  ): Promise<(TValue | undefined)[]>;
  /**
   * The request key's row of `table`, one of the tables given to `serve` (co-partitioned with
   * the requests, so the row is in this task's store); undefined when the table has no row for
   * the key or the request has no key. Only the request's own key: any other key may belong to
   * another task, in another instance.
   */
  table<TValue>(table: Table<NonNullable<TRequestKey>, TValue>): Promise<TValue | undefined>;
}

/**
 * A request with the reply it got (null for an error reply): what `pipeline.serve` returns a
 * stream of, to log what was served.
 *
 * @category Request/reply
 */
export interface Served<TRequest, TReply> {
  readonly request: TRequest;
  readonly reply: TReply | null;
}

/** The side output that {@link Served} records go to. */
export const servedOutput = 'served';

/** A request handler: the reply, or a promise of it. Throwing sends an error reply. */
export type RequestHandler<TKey, TRequest, TReply> = (
  request: TRequest,
  record: StreamRecord<TKey, TRequest>,
  lookups: ServeLookups<TKey>,
) => TReply | Promise<TReply>;

/**
 * Answers each request record with a reply record (value `null` for an error reply) whose
 * headers carry the correlation id and the reply topic; the reply sink routes it there.
 * Requests without a reply topic or correlation id cannot be answered: they throw, so the
 * failure policy sends them to the dead-letter topic. A request whose reply topic `replyTopics`
 * does not allow is not handled at all: it is dead-lettered as undeliverable, and nothing is
 * served (no impressions are logged for a reply nobody gets).
 */
export function serveOperator<TKey, TRequest, TReply>(
  handle: RequestHandler<TKey, TRequest, TReply>,
  replyTopics: ReplyTopicRules,
  tables: readonly StoreDefinition<NonNullable<TKey>, unknown>[] = [],
): Operator<TKey, TRequest, TKey, TReply | null | Served<TRequest, TReply>> {
  const states = new Map<string, KeyValueState<NonNullable<TKey>, unknown>>();
  return {
    async init(ctx) {
      for (const definition of tables) {
        states.set(definition.name, ctx.keyValueStore(definition));
      }
      // As a join's: the table's own operator prepared them, but a reader needs them too.
      await prepareStateSerdes(
        tables.flatMap(({ name, key, value }) => [
          [key, { topic: name, isKey: true }] as const,
          [value, { topic: name, isKey: false }] as const,
        ]),
      );
    },
    process(record, ctx) {
      const correlationId = headerText(record.headers[requestHeaders.correlationId]);
      const replyTo = headerText(record.headers[requestHeaders.replyTo]);
      if (correlationId === undefined || replyTo === undefined) {
        throw new Error('request has no reelstream.correlation-id or reelstream.reply-to header');
      }
      const refusal = refusalOf(replyTo, replyTopics);
      if (refusal !== undefined) {
        throw new UndeliverableReplyError({
          reason: refusal,
          replyTo,
          detail: refusalDetail(refusal),
        });
      }
      const answer = (
        value: TReply | null,
        error?: { code: RequestErrorCode; message: string },
      ): void => {
        const served: Served<TRequest, TReply> = { request: record.value, reply: value };
        ctx.forward(record.withValue(served), servedOutput);
        ctx.forward(
          record.withValue(value).withHeaders({
            [requestHeaders.correlationId]: correlationId,
            [requestHeaders.replyTo]: replyTo,
            ...(error === undefined
              ? {}
              : {
                  [requestHeaders.errorCode]: error.code,
                  [requestHeaders.errorMessage]: error.message,
                }),
          }),
        );
      };
      const deadline = Number(headerText(record.headers[requestHeaders.deadline]) ?? Infinity);
      if (ctx.wallClockTime() > deadline) {
        answer(null, {
          code: requestErrorCodes.deadlineExceeded,
          message: `arrived ${ctx.wallClockTime() - deadline} ms after its deadline`,
        });
        return;
      }
      const fail = (error: unknown): void =>
        answer(null, { code: requestErrorCodes.handlerFailed, message: errorMessage(error) });
      const lookups: ServeLookups<TKey> = {
        global: (table, key) => lookupGlobal(ctx.globalStore(table.name), table, key),
        globalAll: (table, keys) => lookupGlobalAll(ctx.globalStore(table.name), table, keys),
        table: <TValue>(table: Table<NonNullable<TKey>, TValue>) =>
          lookupOwnRow(states, table.storeName, record.key) as Promise<TValue | undefined>,
      };
      let reply: TReply | Promise<TReply>;
      try {
        reply = handle(record.value, record, lookups);
      } catch (error) {
        fail(error);
        return;
      }
      if (reply instanceof Promise) {
        return reply.then((value) => answer(value), fail);
      }
      answer(reply);
      return;
    },
  };
}

/** The request key's row in a table of the serve node: the task store answers from its cache first. */
function lookupOwnRow<TKey>(
  states: ReadonlyMap<string, KeyValueState<NonNullable<TKey>, unknown>>,
  storeName: string,
  key: TKey,
): Promise<unknown> {
  const state = states.get(storeName);
  if (state === undefined) {
    return Promise.reject(
      new Error(`table ${storeName} is not one of this serve's tables (serve({ tables }))`),
    );
  }
  return key === null || key === undefined ? Promise.resolve(undefined) : state.get(key);
}
