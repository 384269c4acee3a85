import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  ReelstreamError,
  errorCodes,
  jobDefinitionProblem,
  type JobDefinition,
} from '../../operators/index.js';

/** A user's job module, loaded: its definition and the file it came from. */
export interface UserJobModule {
  readonly file: string;
  readonly definition: JobDefinition;
}

/**
 * Loads the job module of `reelstream run` and `reelstream describe`: a JavaScript or
 * TypeScript file whose default export (or export named `job`) is a `defineJob({...})`.
 * TypeScript runs through the `tsx` of the user's project, as `npx tsx` would, so a project
 * made by `reelstream init` needs no build step; without tsx, the message says what to do.
 */
export async function loadJobModule(path: string): Promise<UserJobModule> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw invalid(`job module ${path} does not exist (resolved to ${file})`);
  }
  if (typeScriptExtensions.has(extname(file))) {
    await registerTypeScript(file);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ReelstreamError) {
      throw new ReelstreamError(error.code, `${path}: ${error.message}`, { cause: error });
    }
    throw error; // the module's own error, with its stack: the user's to read
  }
  const definition = exports['default'] ?? exports['job'];
  if (definition === undefined) {
    throw invalid(
      `${path} exports no job: its default export (or an export named "job") must be defineJob({ applicationId, pipeline })`,
    );
  }
  const problem = jobDefinitionProblem(definition);
  if (problem !== undefined) {
    throw invalid(`${path}: ${problem}`);
  }
  return { file, definition: definition as JobDefinition };
}

const typeScriptExtensions = new Set(['.ts', '.mts', '.cts']);

async function registerTypeScript(file: string): Promise<void> {
  // The user's tsx first (their project's version), ours when they have none.
  const manifest = [file, fileURLToPath(import.meta.url)]
    .map((from) => {
      try {
        return createRequire(from).resolve('tsx/package.json');
      } catch {
        return undefined;
      }
    })
    .find((found) => found !== undefined);
  if (manifest === undefined) {
    throw invalid(
      `${file} is TypeScript: install tsx in its project (npm install --save-dev tsx) or compile it and run the .js`,
    );
  }
  // require.resolve would give the CommonJS build of tsx/esm/api, whose register() cannot load
  // the ESM hooks: take the "import" entry of its exports map.
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports?: Record<string, { import?: string | { default?: string } } | undefined>;
  };
  const entry = exports?.['./esm/api']?.import;
  const path = typeof entry === 'string' ? entry : entry?.default;
  if (path === undefined) {
    throw invalid(`the tsx at ${dirname(manifest)} has no ESM API (tsx 4 or later is needed)`);
  }
  const { register } = (await import(pathToFileURL(join(dirname(manifest), path)).href)) as {
    register: () => unknown;
  };
  register();
}

function invalid(message: string): ReelstreamError {
  return new ReelstreamError(errorCodes.invalidConfig, message);
}
