import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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
  let api: string;
  try {
    // The user's tsx first (their project's version), ours when they have none.
    api = createRequire(file).resolve('tsx/esm/api');
  } catch {
    try {
      api = createRequire(import.meta.url).resolve('tsx/esm/api');
    } catch {
      throw invalid(
        `${file} is TypeScript: install tsx in its project (npm install --save-dev tsx) or compile it and run the .js`,
      );
    }
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
}

function invalid(message: string): ReelstreamError {
  return new ReelstreamError(errorCodes.invalidConfig, message);
}
