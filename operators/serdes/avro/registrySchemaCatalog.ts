import type { SchemaInfo, SchemaRegistryClient } from '@confluentinc/schemaregistry';

import { ConfigError } from '../../errors.js';
import { UnknownSchemaError, type SchemaCatalog } from '../serde.js';

/** What the catalog asks of the registry client. */
type RegistryCalls = Pick<SchemaRegistryClient, 'register' | 'getId' | 'getBySubjectAndId'>;

/** How often a registration answered "already exists" is looked up before giving up. */
const lookupAttempts = 5;

/**
 * {@link SchemaCatalog} on a real Confluent-compatible registry, through
 * `@confluentinc/schemaregistry` (which caches ids and schemas itself).
 *
 * @category Serdes
 */
export class RegistrySchemaCatalog implements SchemaCatalog {
  private readonly client: RegistryCalls;

  constructor(client: RegistryCalls) {
    this.client = client;
  }

  async register(subject: string, schema: string): Promise<number> {
    const info: SchemaInfo = { schemaType: 'AVRO', schema };
    try {
      return await this.client.register(subject, info);
    } catch (error) {
      if (isNotFound(error)) {
        // A registration is never "not found" on a registry's subjects API: the URL points
        // somewhere else (Apicurio serves the Confluent API under /apis/ccompat/v7, not at its
        // root). A configuration mistake, said in one line rather than an HTTP client's trace.
        throw new ConfigError(
          'REELSTREAM_REGISTRY_URL',
          `registering ${subject}, the schema registry answered 404 Not Found: the URL must be the registry's Confluent-compatible API (for Apicurio, http://<host>:<port>/apis/ccompat/v7)`,
        );
      }
      if (!isAlreadyExists(error)) {
        throw error;
      }
      // Apicurio answers 409 "artifact already exists" when the subject was created between
      // its own check and its write: a registration of the same subject racing ours, or the
      // client's retry of a POST whose first attempt timed out or failed after the registry
      // had stored it. Either way the schema is there now (or soon, with the registry's
      // Kafka-backed storage): look its id up instead of failing the job's start.
      return this.lookUpAfterConflict(subject, info, error);
    }
  }

  async schemaById(id: number): Promise<string> {
    try {
      const info = await this.client.getBySubjectAndId('', id);
      return info.schema;
    } catch (error) {
      // 404 (Confluent error 40403) is a schema id the registry does not have.
      if (isNotFound(error)) {
        throw new UnknownSchemaError(id, error);
      }
      throw error;
    }
  }

  private async lookUpAfterConflict(
    subject: string,
    info: SchemaInfo,
    conflict: unknown,
  ): Promise<number> {
    let lastError: unknown = conflict;
    for (let attempt = 1; attempt <= lookupAttempts; attempt++) {
      try {
        return await this.client.getId(subject, info);
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    throw new Error(
      `registering the schema under ${subject}: the registry said it already exists, but ${lookupAttempts} lookups did not find it`,
      { cause: lastError },
    );
  }
}

function statusOf(error: unknown): unknown {
  return (error as { status?: unknown } | null)?.status;
}

function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/**
 * Apicurio's 409 for an existing artifact. Confluent's registry also answers 409 for an
 * incompatible schema; that one must stay an error, so the message decides.
 */
function isAlreadyExists(error: unknown): boolean {
  return statusOf(error) === 409 && error instanceof Error && /already exists/i.test(error.message);
}
