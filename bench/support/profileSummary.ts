/**
 * Prints where a V8 CPU profile (`node --cpu-prof`) spent its time: self time per function and
 * per package, highest first.
 *
 *   node --import tsx bench/support/profileSummary.ts /tmp/prof/CPU.*.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';

import { Command } from 'commander';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const program = new Command()
  .argument('<profile>', '.cpuprofile file')
  .option('--top <n>', 'rows to print', (v) => Number(v), 25)
  .parse();
const [file] = program.args;
const { top } = program.opts<{ top: number }>();
const profile = JSON.parse(readFileSync(file ?? '', 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const micros = profile.timeDeltas[i] ?? 0;
  total += micros;
  const frame = byId.get(id)?.callFrame;
  const url = frame?.url ?? '';
  const where = url
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/(operators|bench|jobs)\//, '$1/');
  const fn = `${frame?.functionName || '(anonymous)'} ${where}:${(frame?.lineNumber ?? 0) + 1}`;
  selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + micros);
  const pkg =
    url === ''
      ? `(${frame?.functionName ?? 'native'})`
      : url.includes('node_modules/')
        ? (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? 'node_modules')
        : url.startsWith('node:')
          ? 'node internals'
          : 'reelstream';
  selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + micros);
});
const print = (title: string, rows: Map<string, number>): void => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
};
print('self time by package', selfByPackage);
print('self time by function', selfByFunction);
