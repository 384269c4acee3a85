import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { categories, goldenTableGroupBy, type Case } from './cases.js';
import { classify, type Verdict } from './classify.js';
import {
  buildHarness,
  kafkaVersions,
  missingTools,
  runOnKafkaStreams,
} from './kafkaStreamsHarness.js';
import { runOnReelstream } from './reelstreamSide.js';

// The differential suite (README.md here): the same seeded random inputs through reelstream's
// TestDriver and Kafka Streams' TopologyTestDriver (the broker's version, in one JVM), for
// every window type and emit mode, stream-table joins and table re-aggregation, compared per
// input record. Each difference must be one of knownDifferences.json (also in docs/windows.md),
// whose minimal inputs are run too and must still show exactly what the file records: a new
// difference, or a documented one that changed or went away, fails.
//
// REELSTREAM_DIFFERENTIAL_CASES (default 200) cases per category, seeds from
// REELSTREAM_DIFFERENTIAL_SEED (default 1).

interface KnownDifference {
  readonly id: string;
  readonly categories: readonly string[];
  readonly summary: string;
  readonly minimal: Case;
  readonly ours: string[][];
  readonly kafkaStreams: string[][];
}

const known = (
  JSON.parse(readFileSync(new URL('knownDifferences.json', import.meta.url), 'utf8')) as {
    differences: KnownDifference[];
  }
).differences;
const perCategory = Number(process.env['REELSTREAM_DIFFERENTIAL_CASES'] ?? 200);
const firstSeed = Number(process.env['REELSTREAM_DIFFERENTIAL_SEED'] ?? 1);
const skip = missingTools();

test(
  'reelstream and Kafka Streams agree on every random case, but for the documented differences',
  { skip: skip === undefined ? false : `skipped: ${skip}`, timeout: 600_000 },
  async () => {
    const versions = kafkaVersions();
    assert.equal(versions.harness, versions.broker, 'the harness runs the broker’s Kafka Streams');
    const classpath = buildHarness();
    const random = categories.map((category) => ({
      category,
      cases: Array.from({ length: perCategory }, (_, i) => category.make(firstSeed + i)),
    }));
    const all = [
      goldenTableGroupBy,
      ...known.map((k) => k.minimal),
      ...random.flatMap((r) => r.cases),
    ];
    // The JVM works through every case while this process runs them on the TestDriver.
    const kafkaStreams = runOnKafkaStreams(classpath, all);
    const ours: string[][][] = [];
    for (const testCase of all) {
      ours.push(await runOnReelstream(testCase));
    }
    const theirs = await kafkaStreams;
    const errors = theirs.filter((r) => r.error !== undefined);
    assert.deepEqual(errors, [], 'the harness ran every case');

    // Table.groupBy's golden case: the two agree record by record.
    assert.deepEqual(ours[0], theirs[0]?.outputs, 'the golden Table.groupBy case');
    console.log(
      `golden Table.groupBy case (test/joins/tableGroupBy.test.ts), equal to Kafka Streams:\n${JSON.stringify(ours[0])}`,
    );

    // The documented differences still show, exactly as recorded.
    known.forEach((difference, at) => {
      const i = at + 1;
      const outputs = theirs[i]?.outputs ?? [];
      assert.deepEqual(ours[i], difference.ours, `${difference.id}: reelstream's outputs`);
      assert.deepEqual(
        outputs,
        difference.kafkaStreams,
        `${difference.id}: Kafka Streams' outputs`,
      );
      const verdict = classify(difference.minimal, ours[i] ?? [], outputs);
      assert.ok(
        verdict.kind === 'documented' && verdict.differences.includes(difference.id),
        `${difference.id}: its minimal input is classified as ${JSON.stringify(verdict)}`,
      );
    });

    const ids = new Set(known.map((k) => k.id));
    const failing: string[] = [];
    const rows: string[] = [];
    let index = known.length + 1;
    for (const { category, cases } of random) {
      const tally = { identical: 0, documented: 0, failing: 0, finalValuesEqual: 0 };
      const seen = new Map<string, number>();
      for (const testCase of cases) {
        const a = ours[index] ?? [];
        const b = theirs[index]?.outputs ?? [];
        index += 1;
        const verdict: Verdict = classify(testCase, a, b);
        tally[verdict.kind] += 1;
        if (sameFinalValues(a, b)) {
          tally.finalValuesEqual += 1;
        }
        if (verdict.kind === 'documented') {
          for (const id of verdict.differences) {
            assert.ok(ids.has(id), `classified as ${id}, which knownDifferences.json lacks`);
            seen.set(id, (seen.get(id) ?? 0) + 1);
          }
        } else if (verdict.kind === 'failing') {
          failing.push(
            `${testCase.id}, input ${verdict.record}: reelstream ${JSON.stringify(verdict.ours)}, Kafka Streams ${JSON.stringify(verdict.theirs)}\n  case: ${JSON.stringify(testCase)}`,
          );
        }
      }
      rows.push(
        `${category.name.padEnd(28)} ${String(cases.length).padStart(5)} ${String(tally.identical).padStart(9)} ${String(tally.documented).padStart(10)} ${String(tally.failing).padStart(7)} ${String(tally.finalValuesEqual).padStart(12)}  ${[...seen].map(([id, n]) => `${id} ${n}`).join(', ')}`,
      );
    }
    console.log(
      [
        `differential suite: reelstream TestDriver vs Kafka Streams ${versions.harness} TopologyTestDriver, seeds ${firstSeed}..${firstSeed + perCategory - 1}`,
        `${'category'.padEnd(28)} ${'cases'.padStart(5)} ${'identical'.padStart(9)} ${'documented'.padStart(10)} ${'failing'.padStart(7)} ${'final equal'.padStart(12)}  documented differences (cases)`,
        ...rows,
      ].join('\n'),
    );
    assert.equal(failing.length, 0, `undocumented differences:\n${failing.slice(0, 5).join('\n')}`);
  },
);

/** Whether both sides' last output per window (or key) is the same: the final values. */
function sameFinalValues(ours: readonly string[][], theirs: readonly string[][]): boolean {
  const finals = (outputs: readonly string[][]): string =>
    JSON.stringify(
      [
        ...new Map(
          outputs.flat().map((out): [string, string] => {
            const at = out.lastIndexOf('=');
            return [out.slice(0, at), out.slice(at + 1)];
          }),
        ),
      ].sort(),
    );
  return finals(ours) === finals(theirs);
}
