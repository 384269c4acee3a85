import avro from 'avsc';

import {
  DeserializationError,
  IncompatibleSchemaError,
  UnknownSchemaError,
  type SchemaCatalog,
  type Serde,
  type SerdeContext,
} from '../serde.js';
import type { AvroSchema } from './avroSchema.js';

/**
 * How the registry subject for a topic's schema is named (Confluent's three strategies).
 *
 * @category Serdes
 */
export type SubjectNameStrategy = 'topicName' | 'recordName' | 'topicRecordName';

/** @category Serdes */
export interface AvroSerdeOptions {
  /** Default `topicName`: `<topic>-value` / `<topic>-key`. */
  readonly subjectNameStrategy?: SubjectNameStrategy;
}

// Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian int, Avro binary.
const magicByte = 0;
const headerLength = 5;
// Unions decode to the plain value. avsc adds a type registry to the options object it is given,
// so every forSchema call gets a copy.
export const avscOptions = { wrapUnions: 'never' } as const;

/**
 * Avro in Confluent wire format through a Confluent-compatible schema registry. Writes with the
 * schema it was built from (registered under the subject its strategy names); reads any writer
 * schema the registry knows, resolved into its own schema, so a pipeline built with v2 of a
 * schema reads records written with v1 when the change is compatible.
 *
 * @example
 * ```ts
 * import { avroSerde, type AvroSchema } from 'reelstream';
 *
 * // `reelstream schemas generate` writes these two from an .avsc file.
 * interface WatchHeartbeat { readonly videoId: string; readonly watchedMs: number }
 * const watchHeartbeatSchema: AvroSchema<WatchHeartbeat> = {
 *   name: 'example.WatchHeartbeat',
 *   definition: {
 *     type: 'record',
 *     name: 'WatchHeartbeat',
 *     namespace: 'example',
 *     fields: [
 *       { name: 'videoId', type: 'string' },
 *       { name: 'watchedMs', type: 'long' },
 *     ],
 *   },
 * };
 * const values = avroSerde(watchHeartbeatSchema); // Serde<WatchHeartbeat>
 * ```
 * @category Serdes
 */
export function avroSerde<TValue>(
  schema: AvroSchema<TValue>,
  options: AvroSerdeOptions = {},
): Serde<TValue> {
  return new AvroSerdeImpl<TValue>(schema, options.subjectNameStrategy ?? 'topicName').toSerde();
}

class AvroSerdeImpl<TValue> {
  private readonly schema: AvroSchema<TValue>;
  private readonly strategy: SubjectNameStrategy;
  private readonly readerType: avro.Type;
  private readonly schemaText: string;
  private catalog: SchemaCatalog | undefined;
  /** Writer schema id per subject, once registered. */
  private readonly writerIds = new Map<string, number>();
  /** How to read each writer schema id seen: a resolver, or an error to raise for every record. */
  private readonly readers = new Map<number, avro.Resolver | 'same' | DeserializationError>();
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(schema: AvroSchema<TValue>, strategy: SubjectNameStrategy) {
    this.schema = schema;
    this.strategy = strategy;
    this.readerType = avro.Type.forSchema(schema.definition as avro.Schema, { ...avscOptions });
    this.schemaText = JSON.stringify(schema.definition);
  }

  toSerde(): Serde<TValue> {
    return {
      name: `avro(${this.schema.name})`,
      configure: (environment) => {
        if (this.catalog !== environment.schemas) {
          // Ids belong to one registry: a serde shared by pipelines of one process (a module
          // constant, as pipelines' serdes are) forgets those of the catalog it had before.
          this.writerIds.clear();
          this.readers.clear();
        }
        this.catalog = environment.schemas;
      },
      prepareSerialize: (context) => this.prepareSerialize(context),
      prepareDeserialize: (payloads) => this.prepareDeserialize(payloads),
      serialize: (value, context) => this.serialize(value, context),
      deserialize: (bytes) => this.deserialize(bytes),
    };
  }

  private subject(context: SerdeContext): string {
    const suffix = context.isKey ? 'key' : 'value';
    switch (this.strategy) {
      case 'topicName':
        return `${context.topic}-${suffix}`;
      case 'recordName':
        return this.schema.name;
      case 'topicRecordName':
        return `${context.topic}-${this.schema.name}`;
    }
  }

  private requireCatalog(): SchemaCatalog {
    if (this.catalog === undefined) {
      throw new Error(`avro(${this.schema.name}) is used before the runtime configured it`);
    }
    return this.catalog;
  }

  private async prepareSerialize(context: SerdeContext): Promise<void> {
    const subject = this.subject(context);
    if (!this.writerIds.has(subject)) {
      const id = await this.requireCatalog().register(subject, this.schemaText);
      this.writerIds.set(subject, id);
      this.readers.set(id, 'same');
    }
  }

  private serialize(value: TValue, context: SerdeContext): Uint8Array {
    const subject = this.subject(context);
    const id = this.writerIds.get(subject);
    if (id === undefined) {
      throw new Error(`avro(${this.schema.name}): subject ${subject} was not prepared`);
    }
    for (;;) {
      this.scratch.writeUInt8(magicByte, 0);
      this.scratch.writeInt32BE(id, 1);
      const end = this.readerType.encode(value, this.scratch, headerLength);
      if (end >= 0) {
        return Buffer.from(this.scratch.subarray(0, end));
      }
      // avsc returns minus the missing size when the buffer is too small.
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, headerLength - end));
    }
  }

  /** Fetches every writer schema of the batch that has not been seen yet, in parallel. */
  private prepareDeserialize(payloads: readonly (Uint8Array | null)[]): Promise<void> | undefined {
    let missing: Set<number> | undefined;
    for (const bytes of payloads) {
      if (bytes !== null && bytes.length >= headerLength && bytes[0] === magicByte) {
        const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readInt32BE(1);
        if (!this.readers.has(id)) {
          (missing ??= new Set()).add(id);
        }
      }
    }
    if (missing === undefined) {
      return undefined;
    }
    return Promise.all([...missing].map((id) => this.learnWriter(id))).then(() => undefined);
  }

  private async learnWriter(id: number): Promise<void> {
    let text: string;
    try {
      text = await this.requireCatalog().schemaById(id);
    } catch (error) {
      if (error instanceof UnknownSchemaError) {
        this.readers.set(id, error);
        return;
      }
      throw error; // the registry is unreachable: not the record's fault, so no DLQ
    }
    try {
      const writerType = avro.Type.forSchema(JSON.parse(text) as avro.Schema, { ...avscOptions });
      this.readers.set(
        id,
        writerType.equals(this.readerType) ? 'same' : this.readerType.createResolver(writerType),
      );
    } catch (error) {
      this.readers.set(
        id,
        new IncompatibleSchemaError(
          `writer schema id ${id} cannot be read as ${this.schema.name}: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    }
  }

  private deserialize(bytes: Uint8Array | null): TValue {
    if (bytes === null) {
      throw new DeserializationError(`avro(${this.schema.name}) cannot read a null payload`);
    }
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (buffer.length < headerLength || buffer[0] !== magicByte) {
      throw new DeserializationError('not Confluent wire format (no magic byte 0 + schema id)');
    }
    const id = buffer.readInt32BE(1);
    const reader = this.readers.get(id);
    if (reader === undefined) {
      throw new UnknownSchemaError(id);
    }
    if (reader instanceof DeserializationError) {
      throw reader;
    }
    let decoded: { value: unknown; offset: number };
    try {
      decoded =
        reader === 'same'
          ? this.readerType.decode(buffer, headerLength)
          : this.readerType.decode(buffer, headerLength, reader);
    } catch (error) {
      throw new DeserializationError(`malformed Avro payload: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (decoded.offset !== buffer.length) {
      throw new DeserializationError(
        decoded.offset < 0
          ? 'truncated Avro payload'
          : `Avro payload has ${buffer.length - decoded.offset} trailing bytes`,
      );
    }
    return decoded.value as TValue;
  }
}
