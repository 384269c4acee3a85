import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { generateAvroTypeScript } from './avroTypeScript.js';

/** One generated TypeScript module and where it belongs. */
export interface SchemaModule {
  readonly avscFile: string;
  readonly outputFile: string;
  readonly source: string;
}

/**
 * The TypeScript module for every `.avsc` file in `schemaDir`, to be written to
 * `<schemaDir>/generated/<name>.ts`. `operatorsIndex` is the path of `operators/index.ts`, which
 * the generated modules import the `AvroSchema` type from.
 *
 * @category Serdes
 */
export function schemaModules(options: {
  schemaDir: string;
  operatorsIndex: string;
}): SchemaModule[] {
  const outputDir = join(options.schemaDir, 'generated');
  const importFrom = relative(outputDir, options.operatorsIndex).replace(/\.ts$/, '.js');
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
          file: relative(dirname(dirname(options.operatorsIndex)), avscFile),
          importFrom: importFrom.startsWith('.') ? importFrom : `./${importFrom}`,
        }),
      };
    });
}
