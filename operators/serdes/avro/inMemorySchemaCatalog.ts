import { UnknownSchemaError, type SchemaCatalog } from '../serde.js';

/**
 * A {@link SchemaCatalog} held in memory, with the registry's id semantics (one global id per
 * distinct schema text, idempotent registration). For the in-process test driver only; jobs and
 * integration tests use the real registry.
 *
 * @category Serdes
 */
export class InMemorySchemaCatalog implements SchemaCatalog {
  private readonly idsBySchema = new Map<string, number>();
  private readonly schemasById = new Map<number, string>();
  private readonly subjects = new Map<string, Set<number>>();

  register(subject: string, schema: string): Promise<number> {
    const canonical = JSON.stringify(JSON.parse(schema));
    let id = this.idsBySchema.get(canonical);
    if (id === undefined) {
      id = this.idsBySchema.size + 1;
      this.idsBySchema.set(canonical, id);
      this.schemasById.set(id, canonical);
    }
    let versions = this.subjects.get(subject);
    if (versions === undefined) {
      versions = new Set();
      this.subjects.set(subject, versions);
    }
    versions.add(id);
    return Promise.resolve(id);
  }

  schemaById(id: number): Promise<string> {
    const schema = this.schemasById.get(id);
    return schema === undefined
      ? Promise.reject(new UnknownSchemaError(id))
      : Promise.resolve(schema);
  }

  /** Subjects registered so far, for tests. */
  subjectNames(): string[] {
    return [...this.subjects.keys()].sort();
  }
}
