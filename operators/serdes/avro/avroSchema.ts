/**
 * An Avro schema together with the TypeScript type of its values. Generated for every `.avsc`
 * file in `schemas/` (see `schemas/generated/`), so the type is never written by hand: the
 * `definition` is the schema, and `TValue` is derived from it by the generator.
 *
 * @category Serdes
 */
export interface AvroSchema<TValue> {
  /** Full name of the record, e.g. `reelstream.events.WatchHeartbeat`. */
  readonly name: string;
  /** The schema as parsed JSON. */
  readonly definition: AvroSchemaJson;
  /** Phantom member that carries the value type; never set at run time. */
  readonly valueType?: TValue;
}

/** Avro schema JSON (a record, a primitive name, a union array, …). @category Serdes */
export type AvroSchemaJson =
  string | readonly AvroSchemaJson[] | { readonly [field: string]: unknown };
