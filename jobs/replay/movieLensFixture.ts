import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Genres of the fixture: the first four of MovieLens's `u.genre`. */
export const fixtureGenres = "unknown|0\nAction|1\nAdventure|2\nChildren's|3\n\n";

/** A tiny MovieLens-format folder for tests; `overrides` replaces whole files by name. */
export function writeMovieLensFixture(overrides: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'movielens-fixture-'));
  const files: Record<string, string> = {
    'u.genre': fixtureGenres,
    'u.item': [
      '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1',
      '2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0',
      '3|Unknown (1998)|||http://x|1|0|0|0',
      '',
    ].join('\n'),
    'u.user': '1|24|M|technician|85711\n2|53|F|other|T8H1N\n',
    'u.data': ['1\t2\t5\t100', '2\t1\t1\t50', '1\t1\t3\t100', '2\t3\t4\t200', ''].join('\n'),
    ...overrides,
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text, 'latin1');
  }
  return dir;
}
