import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { generateAvroTypeScript } from './avroTypeScript.js';

/** One generated TypeScript module and where it belongs. */
export interface SchemaModule {
  readonly avscFile: string;
  readonly outputFile: string;
  readonly source: string;
}

/**
 * The TypeScript module for every `.avsc` file in `schemaDir`, to be written to `outputDir`
 * (default `<schemaDir>/generated`) as `<name>.ts`. The generated modules import the
 * `AvroSchema` type from `importFrom`: the `reelstream` package in a user's project, or, inside
 * this repository, `operators/index.ts` by a relative path. Their header names the `.avsc` file
 * relative to `root`.
 *
 * @category Serdes
 */
export function schemaModules(options: {
  schemaDir: string;
  outputDir?: string;
  importFrom: { readonly package: string } | { readonly operatorsIndex: string };
  root: string;
  /** Indent the schemas' JSON: the modules are written as generated, not formatted after. */
  indentDefinitions?: boolean;
}): SchemaModule[] {
  const outputDir = options.outputDir ?? join(options.schemaDir, 'generated');
  const importFrom =
    'package' in options.importFrom
      ? options.importFrom.package
      : relativeImport(outputDir, options.importFrom.operatorsIndex);
  return readdirSync(options.schemaDir)
    .filter((file) => file.endsWith('.avsc'))
    .sort()
    .map((file) => {
      const avscFile = join(options.schemaDir, file);
      let schema: unknown;
      try {
        schema = JSON.parse(readFileSync(avscFile, 'utf8'));
      } catch (error) {
        throw new Error(`${avscFile}: not valid JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      return {
        avscFile,
        outputFile: join(outputDir, file.replace(/\.avsc$/, '.ts')),
        source: generateAvroTypeScript({
          schema: schema as never,
          file: relative(options.root, avscFile),
          importFrom,
          indentDefinition: options.indentDefinitions ?? false,
        }),
      };
    });
}

/** The specifier of `target` (a .ts file) as imported from a module in `fromDir`. */
function relativeImport(fromDir: string, target: string): string {
  const path = relative(fromDir, target).replace(/\.ts$/, '.js');
  return path.startsWith('.') ? path : `./${path}`;
}
