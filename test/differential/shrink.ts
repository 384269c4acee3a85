import { writeFileSync } from 'node:fs';

import { categories, type Case } from './cases.js';
import { classify } from './classify.js';
import { buildHarness, runOnKafkaStreams } from './kafkaStreamsHarness.js';
import { runOnReelstream } from './reelstreamSide.js';

/**
 * Finds a minimal input for each documented difference: the first random case that shows it,
 * shrunk by removing records one at a time while it still shows it (each round sends every
 * one-record-shorter variant to one JVM). Prints JSON entries for knownDifferences.json.
 *
 *   node --import tsx test/differential/shrink.ts [cases per category] [category filter] > minimal.json
 */

const perCategory = Number(process.argv[2] ?? 200);
/** Only categories whose name contains this (e.g. `sliding`). */
const only = process.argv[3] ?? '';
const classpath = buildHarness();

async function verdictsOf(
  cases: readonly Case[],
): Promise<{ ours: string[][]; theirs: string[][]; ids: string[] }[]> {
  const theirs = await runOnKafkaStreams(classpath, cases);
  const results = [];
  for (const [i, testCase] of cases.entries()) {
    const ours = await runOnReelstream(testCase);
    const outputs = theirs[i]?.outputs ?? [];
    const verdict = classify(testCase, ours, outputs);
    results.push({
      ours,
      theirs: outputs,
      ids: verdict.kind === 'documented' ? [...verdict.differences] : [],
    });
  }
  return results;
}

const firstCase = new Map<string, Case>();
for (const category of categories.filter((c) => c.name.includes(only))) {
  const cases = Array.from({ length: perCategory }, (_, i) => category.make(i + 1));
  const results = await verdictsOf(cases);
  results.forEach((result, i) => {
    for (const id of result.ids) {
      const testCase = cases[i];
      if (!firstCase.has(id) && testCase !== undefined) {
        firstCase.set(id, testCase);
      }
    }
  });
}

const entries = [];
for (const [id, found] of firstCase) {
  let current = found;
  for (;;) {
    const variants = current.records.map((_, drop) => ({
      ...current,
      id: `${id}-${drop}`,
      records: current.records.filter((_record, j) => j !== drop),
    })) as Case[];
    const results = await verdictsOf(variants);
    // Still showing it, and with as few other differences as any variant has.
    const showing = variants
      .map((variant, i) => ({ variant, ids: results[i]?.ids ?? [] }))
      .filter(({ ids }) => ids.includes(id))
      .sort((a, b) => a.ids.length - b.ids.length);
    const smaller = showing[0]?.variant;
    if (smaller === undefined) {
      break;
    }
    current = smaller;
  }
  const [result] = await verdictsOf([current]);
  entries.push({
    id,
    minimal: { ...current, id },
    ours: result?.ours,
    kafkaStreams: result?.theirs,
  });
  process.stderr.write(`${id}: ${current.records.length} records\n`);
}
writeFileSync(1, `${JSON.stringify(entries, null, 2)}\n`);
