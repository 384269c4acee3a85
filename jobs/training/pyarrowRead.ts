import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What pyarrow read from one example file. */
export interface PyarrowFile {
  readonly path: string;
  readonly rows: number;
  /** `name:type` as pyarrow prints the type, in file order. */
  readonly columns: readonly string[];
  /** Sum of `rating` over the rows that have one. */
  readonly ratingSum: number;
  /** Rows with `positive` true. */
  readonly positives: number;
  /** Items in `lastWatchedVideoIds` over all rows. */
  readonly lastWatchedItems: number;
  /** Sum of `creatorScores` over all rows. */
  readonly creatorScoreSum: number;
  /** `userId` of the first row; null without rows. */
  readonly firstUserId: string | null;
  readonly metadata: Readonly<Record<string, string>>;
}

export type PyarrowReading =
  | { readonly ok: true; readonly files: readonly PyarrowFile[] }
  | { readonly ok: false; readonly skipped: string };

const script = String.raw`
import json, sys
import pyarrow as pa
import pyarrow.compute as pc
out = []
for path in sys.argv[1:]:
    with pa.OSFile(path, 'rb') as source:
        table = pa.ipc.open_file(source).read_all()
    rating = table.column('rating')
    out.append({
        'path': path,
        'rows': table.num_rows,
        'columns': [f'{f.name}:{f.type}' for f in table.schema],
        'ratingSum': (pc.sum(rating).as_py() or 0),
        'positives': int(pc.sum(pc.cast(pc.fill_null(table.column('positive'), False), pa.int64())).as_py() or 0),
        'lastWatchedItems': int(pc.sum(pc.list_value_length(table.column('lastWatchedVideoIds'))).as_py() or 0),
        'creatorScoreSum': float(pc.sum(pc.list_flatten(table.column('creatorScores'))).as_py() or 0),
        'firstUserId': table.column('userId')[0].as_py() if table.num_rows > 0 else None,
        'metadata': {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()},
    })
print(json.dumps(out))
`;

/** The repository root: jobs/training/ is two levels down (three from dist/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'deploy', 'local', 'setup', 'pyarrowVenv.sh'))) {
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('pyarrowRead: deploy/local/setup/pyarrowVenv.sh not found');
}

/**
 * Reads example files with pyarrow, as a Python trainer would, in the cached virtual
 * environment of deploy/local/setup/pyarrowVenv.sh (installed on first use). Not ok, with the
 * reason, when PyPI cannot be reached to install it.
 */
export function readWithPyarrow(paths: readonly string[]): PyarrowReading {
  const setup = spawnSync('bash', [join(repositoryRoot(), 'deploy/local/setup/pyarrowVenv.sh')], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (setup.status === 3) {
    return { ok: false, skipped: `pyarrow could not be installed: ${setup.stderr.trim()}` };
  }
  if (setup.status !== 0) {
    throw new Error(`pyarrowVenv.sh failed (${setup.status}): ${setup.stderr}`);
  }
  const python = setup.stdout.trim().split('\n').pop() ?? '';
  const read = spawnSync(python, ['-c', script, ...paths], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (read.status !== 0) {
    throw new Error(`pyarrow could not read the files (${read.status}): ${read.stderr}`);
  }
  return { ok: true, files: JSON.parse(read.stdout) as PyarrowFile[] };
}
