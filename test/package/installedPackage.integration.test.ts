import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import type { TopicClient as OurTopicClient, TopicSerdes } from '../../operators/index.js';

/**
 * reelstream as a user gets it, outside this repository: `npm pack`, the tarball installed
 * into a fresh folder, `npx reelstream init demo-app`, its `npm test`, then `npx reelstream
 * run` of its job against the local stack, checked record by record, and stopped with SIGTERM
 * with its input offsets committed. Everything the project runs comes from the tarball.
 */
const work = mkdtempSync(join(tmpdir(), 'reelstream-package-'));
after(() => rmSync(work, { recursive: true, force: true }));

test(
  'the packed tarball installs, scaffolds a project whose tests pass, and runs its job on Kafka',
  { timeout: 600_000 },
  async (t) => {
    let tarball = '';
    await t.test('npm pack: the package holds no tests, benches, data or jars', () => {
      const packed = run('npm', ['pack', '--json', '--pack-destination', work], repoRoot);
      const [summary] = JSON.parse(packed) as {
        filename: string;
        size: number;
        unpackedSize: number;
        files: { path: string }[];
      }[];
      assert.ok(summary !== undefined);
      const paths = summary.files.map((file) => file.path);
      const forbidden = paths.filter(
        (path) =>
          // The bundled (patched) kafkajs ships as published; init's template has its tests.
          !path.startsWith('node_modules/') &&
          !path.startsWith('jobs/init/template/') &&
          (/(^|\/)(test|bench)\//.test(path) ||
            /\.test\.|\.tst\.|\.map$|\.jar$|\.tgz$|\.csv$|\.onnx$/.test(path)),
      );
      assert.deepEqual(forbidden, [], 'files that do not belong in the package');
      assert.ok(paths.includes('dist/operators/index.d.ts'), 'the public types are packed');
      t.diagnostic(
        `${summary.filename}: ${paths.length} files, ${kb(summary.size)} packed, ${kb(summary.unpackedSize)} unpacked`,
      );
      tarball = join(work, summary.filename);
    });

    const host = join(work, 'host');
    mkdirSync(host);
    run('npm', ['init', '-y'], host);
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], host);

    await t.test('only the public entry is importable', () => {
      const internal = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "await import('reelstream/dist/operators/runtime/jobRun.js')",
        ],
        { cwd: host, encoding: 'utf8' },
      );
      assert.notEqual(internal.status, 0);
      assert.match(internal.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
      const entry = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const { Pipeline, TestDriver } = await import('reelstream'); console.log(typeof Pipeline, typeof TestDriver)",
        ],
        { cwd: host, encoding: 'utf8' },
      );
      assert.equal(entry.stdout.trim(), 'function function', entry.stderr);
    });

    const app = join(host, 'demo-app');
    await t.test('reelstream init makes a project whose npm test passes', () => {
      run('npx', ['reelstream', 'init', 'demo-app', '--reelstream', `file:${tarball}`], host);
      // Its test: the generated types are current, tsc (strict) passes on the pipeline, the job
      // and both tests (Pipeline and TestDriver imported from 'reelstream'), the unit test passes.
      const output = run('npm', ['test'], app);
      assert.match(output, /# pass 1/);
      assert.match(output, /# fail 0/);
    });

    await t.test('reelstream run processes produced records and commits on SIGTERM', async () => {
      // The project's own modules and the packaged TopicClient, as a user script would load them.
      const { TopicClient } = (await import(
        join(app, 'node_modules', 'reelstream', 'dist', 'operators', 'index.js')
      )) as { TopicClient: typeof OurTopicClient };
      const pipeline = (await import(join(app, 'src', 'pipeline.ts'))) as {
        topics: { pageViews: string; viewsPerPage: string };
        pageViewSerdes: TopicSerdes<string, PageView>;
        viewCountSerdes: TopicSerdes<string, number>;
      };
      const topics = await TopicClient.connect();
      // The bin npx would start, started directly so that SIGTERM reaches it, not npm.
      const bin = join(app, 'node_modules', '.bin', 'reelstream');
      const job = spawn(bin, ['run', 'src/job.ts', '--grace', '20'], {
        cwd: app,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...childEnv(), REELSTREAM_LOG: 'warn' },
      });
      let output = '';
      job.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      job.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => job.once('exit', resolve));
      try {
        await topics.createTopics([
          { name: pipeline.topics.pageViews, partitions: 3 },
          { name: pipeline.topics.viewsPerPage, partitions: 3 },
        ]);
        await waitFor(
          () => output.includes('running'),
          90_000,
          () => `job output:\n${output}`,
        );
        // Three pages; one view of each page is a bounce (too short to count).
        const pages = [0, 1, 2].map((i) => `/page-${i}-${randomUUID().slice(0, 8)}`);
        const views = pages.flatMap((page, i) =>
          Array.from({ length: 3 + i }, (_, n) => ({
            key: `user-${n}`,
            value: {
              userId: `user-${n}`,
              page,
              durationMs: n === 0 ? 200 : 5_000,
              viewedAt: Date.now(),
            },
          })),
        );
        await topics.send(pipeline.topics.pageViews, pipeline.pageViewSerdes, views);
        const expected = new Map(pages.map((page, i) => [page, countsUpTo(2 + i)]));
        let seen = new Map<string, number[]>();
        await waitFor(
          async () => {
            const records = await topics.readAll(
              pipeline.topics.viewsPerPage,
              pipeline.viewCountSerdes,
            );
            seen = new Map();
            for (const record of records) {
              if (expected.has(record.key)) {
                seen.set(record.key, [...(seen.get(record.key) ?? []), record.value]);
              }
            }
            return pages.every(
              (page) => (seen.get(page)?.length ?? 0) >= (expected.get(page)?.length ?? 0),
            );
          },
          60_000,
          () => `counts seen: ${JSON.stringify([...seen])}\njob output:\n${output}`,
        );
        // Record by record: each page's counts 1, 2, … in order, once each (exactly-once).
        assert.deepEqual(seen, expected);

        job.kill('SIGTERM');
        assert.equal(await exited, 0, `job output:\n${output}`);
        const ends = await topics.endOffsets(pipeline.topics.pageViews);
        const committed = await topics.committedOffsets('demo-app', pipeline.topics.pageViews);
        for (const [partition, end] of ends) {
          assert.equal(committed.get(partition) ?? '0', end, `partition ${partition} committed`);
        }
      } finally {
        job.kill('SIGKILL');
        await topics.close();
      }
    });
  },
);

/** The record of the scaffolded project's schema (schemas/pageView.avsc). */
interface PageView {
  readonly userId: string;
  readonly page: string;
  readonly durationMs: number;
  readonly viewedAt: number;
}

/** Runs a command to completion; its output, or a failure that shows it. */
function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: childEnv() });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, `${command} ${args.join(' ')} in ${cwd} failed:\n${output}`);
  return output;
}

/**
 * This process's environment without node:test's marker, which would make the project's own
 * `node --test` think it runs inside this test and skip its files.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

function countsUpTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  story: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      assert.fail(`not within ${timeoutMs} ms\n${story()}`);
    }
    await sleep(250);
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}
