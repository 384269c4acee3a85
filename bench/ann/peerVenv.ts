/**
 * The peer's Python: a venv with bench/ann/requirements.txt (pinned faiss-cpu and numpy from
 * PyPI), created once under the download cache, as bench/stateful does for Quix Streams.
 * `node --import tsx bench/ann/peerVenv.ts` installs it alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { EngineUnavailableError } from '../support/engine.js';

const requirementsFile = join(import.meta.dirname, 'requirements.txt');

/** `${REELSTREAM_CACHE_DIR:-~/.cache/reelstream}/ann-venv`. */
export function annVenvDir(): string {
  return join(stackSettingsFromEnv().cacheDir, 'ann-venv');
}

/**
 * Creates the venv and installs the requirements into it, once per requirements file (a copy of
 * it in the venv marks a finished install). Returns the venv's python; throws
 * EngineUnavailableError, with pip's last lines, when python3 -m venv or pip fails (no PyPI).
 */
export function ensureAnnVenv(log: (line: string) => void): string {
  const venv = annVenvDir();
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, 'requirements.installed.txt');
  const requirements = readFileSync(requirementsFile, 'utf8');
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8') === requirements) {
    return python;
  }
  log(`faiss: installing bench/ann/requirements.txt into ${venv}…`);
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
    throw new EngineUnavailableError(`cannot install faiss-cpu into ${venv}: ${stderr}`);
  }
  writeFileSync(marker, requirements);
  log(`faiss: installed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return python;
}

if (process.argv[1] === import.meta.filename) {
  console.log(ensureAnnVenv((line) => console.log(line)));
}
