import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

import { Command } from 'commander';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { ConfigError } from '../../operators/index.js';
import { schemaModules } from '../../operators/serdes/avro/schemaModules.js';

/**
 * `reelstream schemas generate`: TypeScript types from the `.avsc` files, never by hand. In this
 * repository it writes schemas/generated/ (importing the operators by a relative path); in a
 * user's project (`--dir` outside the installed package) the generated modules import from
 * the `reelstream` package.
 */
export function schemasCommand(): Command {
  const schemas = new Command('schemas').description('work with Avro schemas (.avsc files)');
  schemas
    .command('generate')
    .description('write TypeScript types and schema constants for every .avsc file of a folder')
    .option('--dir <dir>', 'schema folder', defaultSchemaDir())
    .option('--out <dir>', 'where the .ts files go (default: <dir>/generated)')
    .option('--check', 'only check that the generated files are up to date (exit 1 if not)')
    .action(async (options: { dir: string; out?: string; check?: boolean }) => {
      if (!existsSync(options.dir) || !statSync(options.dir).isDirectory()) {
        throw new ConfigError('--dir', `schema folder ${options.dir} does not exist`);
      }
      const modules = await formattedSchemaModules(options.dir, options.out);
      if (modules.length === 0) {
        process.stderr.write(`no .avsc files in ${options.dir}\n`);
      }
      const stale: string[] = [];
      for (const module of modules) {
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

/** This repository's schemas/ when run from it, else ./schemas of the current directory. */
function defaultSchemaDir(): string {
  return isInsideRepository(process.cwd()) ? join(repoRoot, 'schemas') : resolve('schemas');
}

/** Whether `path` lies in this checkout (or installed package) of reelstream. */
function isInsideRepository(path: string): boolean {
  const fromRoot = relative(repoRoot, resolve(path));
  return !fromRoot.startsWith('..') && !isAbsolute(fromRoot) && !fromRoot.includes('node_modules');
}

/** The generated modules; in this repository formatted with its prettier settings. */
export async function formattedSchemaModules(
  schemaDir: string,
  outputDir?: string,
): Promise<{ outputFile: string; source: string }[]> {
  const inRepository = isInsideRepository(schemaDir);
  const modules = schemaModules({
    schemaDir,
    ...(outputDir === undefined ? {} : { outputDir: resolve(outputDir) }),
    importFrom: inRepository
      ? { operatorsIndex: join(repoRoot, 'operators', 'index.ts') }
      : { package: 'reelstream' },
    // A project's schema folder sits in its root: headers name `schemas/<file>.avsc`.
    root: inRepository ? repoRoot : dirname(resolve(schemaDir)),
    indentDefinitions: !inRepository,
  });
  // In a user's project the modules are written as generated: whether this package finds
  // prettier (one of its development tools) must not change what `--check` compares against.
  if (!inRepository) {
    return modules;
  }
  const prettier = await import('prettier');
  return Promise.all(
    modules.map(async (module) => {
      const config = (await prettier.resolveConfig(module.outputFile)) ?? {};
      return {
        outputFile: module.outputFile,
        source: await prettier.format(module.source, { ...config, filepath: module.outputFile }),
      };
    }),
  );
}
