import type { Headers } from '../api/record.js';

/**
 * Where a value is being (de)serialized: the topic, and whether it is the record's key.
 *
 * @category Serdes
 */
export interface SerdeContext {
  readonly topic: string;
  readonly isKey: boolean;
  readonly headers?: Headers;
}

/**
 * Turns values of type `T` into bytes and back. The per-record methods are synchronous so a
 * batch is (de)serialized without a promise per record; work that must wait (fetching a writer
 * schema by id, registering a schema) happens once per batch or per topic in the `prepare*`
 * hooks, which the runtime awaits before the per-record calls.
 *
 * The members are function-typed properties, not methods, so `Serde<T>` is invariant in `T`:
 * a `Serde<Impression>` is not accepted where a `Serde<WatchHeartbeat>` is needed.
 *
 * @category Serdes
 */
export interface Serde<T> {
  /** Shown by `pipeline.describe()`, e.g. `avro(reelstream.events.WatchHeartbeat)`. */
  readonly name: string;
  /** `null` writes a Kafka null (a tombstone, or an absent key). */
  readonly serialize: (value: T, context: SerdeContext) => Uint8Array | null;
  /** `null` bytes are a Kafka null (tombstone); serdes that cannot represent one throw. */
  readonly deserialize: (bytes: Uint8Array | null, context: SerdeContext) => T;
  /** Binds the serde to the process's services (the schema registry); called once at start. */
  readonly configure?: (environment: SerdeEnvironment) => void;
  /** Awaited before `serialize` is first called for `context.topic`. */
  readonly prepareSerialize?: (context: SerdeContext) => Promise<void>;
  /** Awaited before a batch is deserialized, with every payload of the batch. */
  readonly prepareDeserialize?: (
    payloads: readonly (Uint8Array | null)[],
    context: SerdeContext,
  ) => Promise<void> | undefined;
}

/**
 * The services serdes may need, provided by the runtime (the real registry) or the test driver
 * (an in-memory catalog).
 *
 * @category Serdes
 */
export interface SerdeEnvironment {
  readonly schemas: SchemaCatalog;
}

/**
 * A Confluent-compatible schema store: ids for registered schemas, schemas for ids.
 *
 * @category Serdes
 */
export interface SchemaCatalog {
  /** Registers `schema` (Avro JSON text) under `subject`; returns its global id. Idempotent. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema text for a global id; rejects with {@link UnknownSchemaError} when there is none. */
  schemaById(id: number): Promise<string>;
}

/**
 * A record's bytes cannot be turned into a value (malformed bytes, an unknown schema id, a schema
 * that cannot be read as the reader schema). Sent to the deserialization failure policy.
 *
 * @category Serdes
 */
export class DeserializationError extends Error {
  override readonly name: string = 'DeserializationError';
}

/** @category Serdes */
export class UnknownSchemaError extends DeserializationError {
  override readonly name = 'UnknownSchemaError';
  readonly schemaId: number;

  constructor(schemaId: number, cause?: unknown) {
    super(`schema id ${schemaId} is not in the registry`, { cause });
    this.schemaId = schemaId;
  }
}

/** @category Serdes */
export class IncompatibleSchemaError extends DeserializationError {
  override readonly name = 'IncompatibleSchemaError';
}
