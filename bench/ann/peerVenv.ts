/**
 * The peer's Python: a venv with bench/ann/requirements.txt (pinned faiss-cpu and numpy from
 * PyPI), created once under the download cache, as bench/stateful does for Quix Streams.
 * `node --import tsx bench/ann/peerVenv.ts` installs it alone.
 */
import { join } from 'node:path';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { ensurePythonVenv } from '../support/pythonVenv.js';

const requirementsFile = join(import.meta.dirname, 'requirements.txt');

/** `${REELSTREAM_CACHE_DIR:-~/.cache/reelstream}/ann-venv`. */
export function annVenvDir(): string {
  return join(stackSettingsFromEnv().cacheDir, 'ann-venv');
}

/** Creates the venv with the pinned faiss-cpu once; returns its python (see ensurePythonVenv). */
export function ensureAnnVenv(log: (line: string) => void): string {
  return ensurePythonVenv({
    venv: annVenvDir(),
    requirementsFile,
    label: 'faiss',
    what: 'faiss-cpu',
    log,
  });
}

if (process.argv[1] === import.meta.filename) {
  console.log(ensureAnnVenv((line) => console.log(line)));
}
