import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { EngineUnavailableError } from './engine.js';

/**
 * A peer's Python: the venv `venv` with `requirementsFile` installed from PyPI, once per
 * requirements file (a copy of it in the venv marks a finished install). Returns the venv's
 * python; throws EngineUnavailableError, with pip's last lines, when python3 -m venv or pip
 * fails (no PyPI).
 */
export function ensurePythonVenv(options: {
  readonly venv: string;
  readonly requirementsFile: string;
  /** The log lines' prefix, and what the error says could not be installed. */
  readonly label: string;
  readonly what: string;
  readonly log: (line: string) => void;
}): string {
  const { venv, requirementsFile, label, log } = options;
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, 'requirements.installed.txt');
  const requirements = readFileSync(requirementsFile, 'utf8');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8') === requirements) {
    return python;
  }
  log(`${label}: installing ${requirementsFile} into ${venv}…`);
  const started = performance.now();
  try {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'pipe' });
    execFileSync(python, ['-m', 'pip', 'install', '-q', '-r', requirementsFile], {
      stdio: 'pipe',
      timeout: 900_000,
    });
  } catch (error) {
    const stderr =
      typeof error === 'object' && error !== null && 'stderr' in error
        ? String(error.stderr).trim().split('\n').slice(-3).join(' / ')
        : String(error);
    throw new EngineUnavailableError(`cannot install ${options.what} into ${venv}: ${stderr}`);
  }
  writeFileSync(marker, requirements);
  log(`${label}: installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return python;
}
