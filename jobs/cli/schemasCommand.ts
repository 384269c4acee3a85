import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { Command } from 'commander';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { schemaModules } from '../../operators/serdes/avro/schemaModules.js';

/** `reelstream schemas generate`: TypeScript types from the `.avsc` files, never by hand. */
export function schemasCommand(): Command {
  const schemas = new Command('schemas').description('work with the Avro schemas in schemas/');
  schemas
    .command('generate')
    .description('write schemas/generated/*.ts from schemas/*.avsc')
    .option('--dir <dir>', 'schema folder', join(repoRoot, 'schemas'))
    .option('--check', 'only check that the generated files are up to date (exit 1 if not)')
    .action(async (options: { dir: string; check?: boolean }) => {
      const stale: string[] = [];
      for (const module of await formattedSchemaModules(options.dir)) {
        const current = existsSync(module.outputFile)
          ? readFileSync(module.outputFile, 'utf8')
          : '';
        if (current === module.source) {
          continue;
        }
        stale.push(relative(process.cwd(), module.outputFile));
        if (options.check !== true) {
          mkdirSync(dirname(module.outputFile), { recursive: true });
          writeFileSync(module.outputFile, module.source);
        }
      }
      for (const file of stale) {
        process.stdout.write(`${options.check === true ? 'stale' : 'wrote'} ${file}\n`);
      }
      if (options.check === true && stale.length > 0) {
        process.stderr.write(
          'generated schema types are stale: run `reelstream schemas generate`\n',
        );
        process.exitCode = 1;
      }
    });
  return schemas;
}

/** The generated modules, formatted with the repository's prettier settings. */
export async function formattedSchemaModules(
  schemaDir: string,
): Promise<{ outputFile: string; source: string }[]> {
  const modules = schemaModules({
    schemaDir,
    operatorsIndex: join(repoRoot, 'operators', 'index.ts'),
  });
  // prettier is a development tool; load it only when generating.
  const { format, resolveConfig } = await import('prettier');
  return Promise.all(
    modules.map(async (module) => {
      const config = (await resolveConfig(module.outputFile)) ?? {};
      return {
        outputFile: module.outputFile,
        source: await format(module.source, { ...config, filepath: module.outputFile }),
      };
    }),
  );
}
