import type { AvroSchemaJson } from './avroSchema.js';

/**
 * Generates the TypeScript source for one `.avsc` schema: an interface per named record, a union
 * of literals per enum, and an `AvroSchema<T>` constant that ties the schema JSON to its type.
 * The mapping follows how avsc decodes values (with unions unwrapped): `long` and
 * `timestamp-millis` are `number` (epoch milliseconds), `bytes` and `fixed` are `Buffer`,
 * `map` is a string-keyed record, a union is a TypeScript union.
 *
 * @example
 * ```ts
 * const source = generateAvroTypeScript({ schema, file: 'watchHeartbeat.avsc', importFrom: '../../operators/index.js' });
 * ```
 * @category Serdes
 */
export function generateAvroTypeScript(options: {
  schema: AvroSchemaJson;
  file: string;
  importFrom: string;
  /**
   * Writes the schema's JSON indented, for output that no formatter will touch (a user's
   * project); on one line otherwise, for prettier to lay out.
   */
  indentDefinition?: boolean;
}): string {
  const generator = new Generator();
  const root = options.schema;
  if (!isObject(root) || root['type'] !== 'record' || typeof root['name'] !== 'string') {
    throw new Error(`${options.file}: the top level must be a named record`);
  }
  const rootType = generator.typeOf(root, namespaceOf(root, undefined));
  const constName = `${lowerFirst(rootType)}Schema`;
  const fullName = fullNameOf(root, undefined);
  return [
    `// Generated from ${options.file} by \`reelstream schemas generate\`. Do not edit:`,
    '// change the .avsc file and regenerate.',
    `import type { AvroSchema } from '${options.importFrom}';`,
    '',
    ...generator.declarations,
    `/** The Avro schema of {@link ${rootType}}, as registered in the schema registry. */`,
    `export const ${constName}: AvroSchema<${rootType}> = {`,
    `  name: '${fullName}',`,
    `  definition: ${
      options.indentDefinition === true
        ? JSON.stringify(root, null, 2).replace(/\n/g, '\n  ')
        : JSON.stringify(root)
    },`,
    '};',
    '',
  ].join('\n');
}

class Generator {
  readonly declarations: string[] = [];
  private readonly named = new Map<string, string>();

  typeOf(schema: unknown, namespace: string | undefined): string {
    if (typeof schema === 'string') {
      return this.primitiveOrReference(schema, namespace);
    }
    if (Array.isArray(schema)) {
      return schema.map((branch) => this.typeOf(branch, namespace)).join(' | ');
    }
    if (!isObject(schema)) {
      throw new Error(`unsupported schema ${JSON.stringify(schema)}`);
    }
    const type = schema['type'];
    switch (type) {
      case 'record':
      case 'error':
        return this.record(schema, namespace);
      case 'enum':
        return this.enumeration(schema, namespace);
      case 'array':
        return `readonly (${this.typeOf(schema['items'], namespace)})[]`;
      case 'map':
        return `Readonly<Record<string, ${this.typeOf(schema['values'], namespace)}>>`;
      case 'fixed':
        return 'Buffer';
      default:
        return this.typeOf(type, namespace);
    }
  }

  private primitiveOrReference(name: string, namespace: string | undefined): string {
    switch (name) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'bytes':
        return 'Buffer';
      case 'string':
        return 'string';
      default: {
        const full = name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`;
        const known = this.named.get(full) ?? this.named.get(name);
        if (known === undefined) {
          throw new Error(`unknown Avro type ${name}`);
        }
        return known;
      }
    }
  }

  private record(schema: Readonly<Record<string, unknown>>, namespace: string | undefined): string {
    const fullName = fullNameOf(schema, namespace);
    const tsName = simpleName(fullName);
    this.named.set(fullName, tsName);
    const ownNamespace = namespaceOf(schema, namespace);
    const fields = Array.isArray(schema['fields']) ? (schema['fields'] as unknown[]) : [];
    const lines: string[] = [...docComment(schema['doc'], ''), `export interface ${tsName} {`];
    for (const field of fields) {
      if (!isObject(field) || typeof field['name'] !== 'string') {
        throw new Error(`${fullName}: a field has no name`);
      }
      lines.push(...docComment(field['doc'], '  '));
      lines.push(`  readonly ${field['name']}: ${this.typeOf(field['type'], ownNamespace)};`);
    }
    lines.push('}', '');
    this.declarations.push(lines.join('\n'));
    return tsName;
  }

  private enumeration(
    schema: Readonly<Record<string, unknown>>,
    namespace: string | undefined,
  ): string {
    const fullName = fullNameOf(schema, namespace);
    const tsName = simpleName(fullName);
    this.named.set(fullName, tsName);
    const symbols = Array.isArray(schema['symbols']) ? (schema['symbols'] as unknown[]) : [];
    this.declarations.push(
      [
        ...docComment(schema['doc'], ''),
        `export type ${tsName} = ${symbols.map((s) => `'${String(s)}'`).join(' | ')};`,
        '',
      ].join('\n'),
    );
    return tsName;
  }
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fullNameOf(
  schema: Readonly<Record<string, unknown>>,
  namespace: string | undefined,
): string {
  const name = String(schema['name']);
  if (name.includes('.')) {
    return name;
  }
  const ns = typeof schema['namespace'] === 'string' ? schema['namespace'] : namespace;
  return ns === undefined || ns === '' ? name : `${ns}.${name}`;
}

function namespaceOf(
  schema: Readonly<Record<string, unknown>>,
  inherited: string | undefined,
): string | undefined {
  const full = fullNameOf(schema, inherited);
  const dot = full.lastIndexOf('.');
  return dot < 0 ? undefined : full.slice(0, dot);
}

function simpleName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function docComment(doc: unknown, indent: string): string[] {
  if (typeof doc !== 'string' || doc === '') {
    return [];
  }
  return [`${indent}/** ${doc.replace(/\*\//g, '* /')} */`];
}
