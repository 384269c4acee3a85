import type { SchemaRegistryClient } from '@confluentinc/schemaregistry';

import { UnknownSchemaError, type SchemaCatalog } from '../serde.js';

/**
 * {@link SchemaCatalog} on a real Confluent-compatible registry, through
 * `@confluentinc/schemaregistry` (which caches ids and schemas itself).
 *
 * @category Serdes
 */
export class RegistrySchemaCatalog implements SchemaCatalog {
  private readonly client: SchemaRegistryClient;

  constructor(client: SchemaRegistryClient) {
    this.client = client;
  }

  register(subject: string, schema: string): Promise<number> {
    return this.client.register(subject, { schemaType: 'AVRO', schema });
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
}

function isNotFound(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 404;
}
