import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { Case } from './cases.js';

/**
 * The Kafka Streams side: the Java harness (java/), built once into
 * `~/.cache/reelstream/differential-harness-<hash>/` (REELSTREAM_HOME overrides the cache
 * root; the hash covers pom.xml and the harness source, so an edit rebuilds it), then run as
 * one JVM that takes every case as a line of JSON on stdin and answers a line each on stdout.
 * Maven only resolves the dependencies (kafka-streams and kafka-streams-test-utils of the
 * broker's version, from Maven Central, as deploy/local fetches Kafka); the JDK's javac and jar
 * build the rest.
 */

const javaDir = join(dirname(fileURLToPath(import.meta.url)), 'java');
const pom = join(javaDir, 'pom.xml');
const source = join(javaDir, 'src/main/java/dev/reelstream/differential/Harness.java');

/** What Kafka Streams answered for a case: per input record, the outputs it caused. */
export interface HarnessResult {
  readonly id: string;
  readonly outputs?: string[][];
  readonly error?: string;
}

/** Why the suite cannot run here, or undefined when Java and Maven are both on PATH. */
export function missingTools(): string | undefined {
  const missing = [
    ['java', '-version'],
    ['javac', '-version'],
    ['mvn', '-v'],
  ].filter(([tool, flag]) => spawnSync(tool ?? '', [flag ?? ''], { stdio: 'ignore' }).status !== 0);
  return missing.length === 0
    ? undefined
    : `${missing.map(([tool]) => tool).join(', ')} not found on PATH: the differential suite against Kafka Streams needs a JDK 17+ and Maven 3.8+`;
}

/** The broker's Kafka version, which the harness must use (deploy/local/kafka/pom.xml). */
export function kafkaVersions(): { broker: string; harness: string } {
  const version = (file: string): string =>
    /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(file, 'utf8'))?.[1] ?? '?';
  return {
    broker: version(join(javaDir, '../../../deploy/local/kafka/pom.xml')),
    harness: version(pom),
  };
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/** Builds the harness unless the cache has it; returns its classpath. */
export function buildHarness(): string {
  const hash = createHash('sha256')
    .update(readFileSync(pom))
    .update(readFileSync(source))
    .digest('hex')
    .slice(0, 12);
  const home = process.env['REELSTREAM_HOME'] ?? join(homedir(), '.cache', 'reelstream');
  const dir = join(home, `differential-harness-${hash}`);
  if (!existsSync(join(dir, '.complete'))) {
    // Built beside its final place and renamed, so an interrupted build is never used.
    const building = `${dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(join(building, 'classes'), { recursive: true });
    run('mvn', [
      '-q',
      '-B',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${join(building, 'libs')}`,
    ]);
    run('javac', ['-d', join(building, 'classes'), '-cp', `${join(building, 'libs')}/*`, source]);
    run('jar', ['cf', join(building, 'harness.jar'), '-C', join(building, 'classes'), '.']);
    writeFileSync(join(building, '.complete'), `${hash}\n`);
    if (existsSync(dir)) {
      rmSync(building, { recursive: true, force: true }); // another run built it meanwhile
    } else {
      renameSync(building, dir);
    }
  }
  const libs = readdirSync(join(dir, 'libs')).map((jar) => join(dir, 'libs', jar));
  return [join(dir, 'harness.jar'), ...libs].join(':');
}

/** Runs every case through one JVM; answers in the cases' order. */
export async function runOnKafkaStreams(
  classpath: string,
  cases: readonly Case[],
): Promise<HarnessResult[]> {
  // Kafka Streams' RocksDB stores, one set per case, on a tmpfs where there is one: no fsync.
  const stateDir = mkdtempSync(
    join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'reelstream-differential-'),
  );
  const jvm = spawn('java', ['-cp', classpath, 'dev.reelstream.differential.Harness', stateDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  jvm.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => jvm.on('close', resolve));
  for (const testCase of cases) {
    jvm.stdin.write(`${JSON.stringify(testCase)}\n`);
  }
  jvm.stdin.end();
  const results = new Map<string, HarnessResult>();
  for await (const line of createInterface({ input: jvm.stdout })) {
    const result = JSON.parse(line) as HarnessResult;
    results.set(result.id, result);
  }
  const code = await exited;
  rmSync(stateDir, { recursive: true, force: true });
  if (code !== 0) {
    throw new Error(`the Kafka Streams harness exited with ${String(code)}: ${stderr}`);
  }
  return cases.map(
    (testCase) =>
      results.get(testCase.id) ?? { id: testCase.id, error: 'no answer from the harness' },
  );
}
