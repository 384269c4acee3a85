import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { Command } from 'commander';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { scaffold } from '../init/scaffold.js';
import { formattedSchemaModules } from './schemasCommand.js';

interface InitFlags {
  readonly reelstream: string;
  readonly install: boolean;
}

/**
 * `reelstream init <dir>`: a new project that uses reelstream as a library (as `npm create
 * vite` makes a web app): the template written, its schema's types generated, its
 * dependencies installed, and the two commands to run next printed.
 */
export function initCommand(): Command {
  const version = (
    JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  ).version;
  return new Command('init')
    .description(
      'make a new project: a schema, a pipeline, its job, a unit and an integration test',
    )
    .argument('<dir>', 'the project folder (created; an existing one must be empty)')
    .option(
      '--reelstream <spec>',
      'how the project depends on reelstream: a version range, or file:<packed .tgz or folder>',
      `^${version}`,
    )
    .option('--no-install', 'write the files only; do not run npm install')
    .action((dir: string, flags: InitFlags) => {
      const made = scaffold({ dir, reelstreamSpec: flags.reelstream });
      process.stdout.write(`created ${made.name} in ${dir}:\n`);
      for (const file of made.files) {
        process.stdout.write(`  ${file}\n`);
      }
      return generateTypes(dir).then(() => {
        if (flags.install) {
          process.stdout.write('installing dependencies (npm install)\n');
          const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
            cwd: dir,
            stdio: 'inherit',
          });
          if (npm.status !== 0) {
            process.stderr.write(
              `npm install failed (exit ${String(npm.status)}): the files are written; fix the cause and run npm install in ${dir}\n`,
            );
            process.exitCode = 1;
            return;
          }
        }
        const cd = relative(process.cwd(), dir) || '.';
        process.stdout.write(
          `\nnext:\n  cd ${cd}\n${flags.install ? '' : '  npm install\n'}  npm test\n  npx reelstream stack up && npm start\n`,
        );
      });
    });
}

/** src/generated/*.ts from schemas/*.avsc, as `npm run schemas` would write them. */
async function generateTypes(dir: string): Promise<void> {
  for (const module of await formattedSchemaModules(
    join(dir, 'schemas'),
    join(dir, 'src', 'generated'),
  )) {
    mkdirSync(dirname(module.outputFile), { recursive: true });
    writeFileSync(module.outputFile, module.source);
    process.stdout.write(`  ${relative(dir, module.outputFile)} (generated)\n`);
  }
}
