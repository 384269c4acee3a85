import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import pino from 'pino';

import {
  Pipeline,
  RemoteVectorSearch,
  seededRandom,
  StreamJob,
  type VectorSearchResult,
} from '../../operators/index.js';
import {
  searchRequestBody,
  searchResultOfBody,
  type SearchResultBody,
} from '../../operators/query/vectorSearch.js';
import { partitionForKey } from '../../operators/runtime/partitioner.js';
import { faissBindingAvailable } from '../../operators/vectors/faissIndex.js';
import {
  itemEmbeddingSerdes,
  itemVectorShards,
  videoVectorId,
} from '../../pipelines/itemEmbeddingShards.js';
import type { ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { produceAll } from '../support/records.js';

/**
 * Vector search over interactive queries, against the real broker with two instances of an
 * item-shards job (one in this process, one a child process): every search over any instance
 * merges every shard's top K into exactly the brute-force top K; excluded ids never come back;
 * a query of another model version, and a client with the wrong token, get degraded results,
 * not errors; when the child is killed with SIGKILL its shards are reported unavailable (and
 * the hits are exactly the surviving shards' top K) until the group gives them to the
 * survivor, after which searches are whole again.
 */

const skip = faissBindingAvailable()
  ? false
  : 'the FAISS binding is not built: run `bash deploy/local/setup/faissBinding.sh`';

const partitions = 4;
const dimension = 8;
const videos = 300;
const k = 10;
const version = 'm1';
const token = randomBytes(32).toString('hex');
/** The shards' id map: vector id (decimal) → video id. */
const idMap = 'item-vectors-video-ids';

interface Item {
  readonly videoId: string;
  readonly id: bigint;
  readonly partition: number;
  readonly vector: Float32Array;
}

test(
  'vector search: every shard merged, exclusions, degraded shards named, healed after a kill -9',
  { skip, timeout: 120_000 },
  async () => {
    const app = uniqueName('vector-search');
    const topic = `${app}.embeddings`;
    const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-vsearch-'));
    await createTopics([topic], { partitions, config: { 'cleanup.policy': 'compact' } });
    const random = seededRandom(7);
    const items: Item[] = Array.from({ length: videos }, (_, i) => {
      const videoId = `v-${i}`;
      return {
        videoId,
        id: videoVectorId(videoId),
        partition: partitionForKey(Buffer.from(videoId, 'utf8'), partitions),
        vector: Float32Array.from({ length: dimension }, () => random() * 2 - 1),
      };
    });
    await produceAll<string, ItemEmbedding | null>({
      topic,
      serdes: itemEmbeddingSerdes,
      records: items.map((item) => ({
        key: item.videoId,
        value: {
          videoId: item.videoId,
          modelVersion: version,
          vector: [...item.vector],
          sourceTime: Date.now(),
          embeddedTime: Date.now(),
        },
      })),
    });

    const pipeline = new Pipeline();
    itemVectorShards(pipeline, { topic, modelVersion: version, dimension });
    const first = new StreamJob({
      pipeline,
      applicationId: app,
      connection,
      stateDir: join(stateDir, 'first'),
      guarantee: 'exactly-once',
      commitIntervalMs: 200,
      queryEndpoint: '127.0.0.1:0',
      querySecurity: { tokens: [token] },
      logger: pino({ name: 'first', level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
    });
    const second = startChild({ app, topic, stateDir: join(stateDir, 'second') });
    try {
      await first.start();
      const secondEndpoint = await second.ready;
      const queries = Array.from({ length: 5 }, () =>
        Float32Array.from({ length: dimension }, () => random() * 2 - 1),
      );
      const lookup = (vector: Float32Array, exclude: bigint[] = []) => ({
        store: 'item-vectors',
        vector,
        k,
        version,
        exclude,
        timeoutMs: 2_000,
      });

      // Both instances hold shards, every shard answers, and the merge is the brute-force top K.
      await until('both instances hold shards and every shard answers the first', async () => {
        const result = await first.searchVectors(lookup(queryAt(queries, 0)));
        const mine = ownPartitions(first);
        return !result.degraded && mine.length > 0 && mine.length < partitions
          ? result.searched.length === partitions &&
              sameIds(result, exact(items, queryAt(queries, 0)))
          : false;
      });
      const mine = ownPartitions(first);
      console.log(`first instance runs shards ${mine.join(', ')}; the child the others`);
      const client = new RemoteVectorSearch({
        endpoints: [secondEndpoint, first.queryEndpoint ?? ''],
        store: 'item-vectors',
        timeoutMs: 2_000,
        access: { token },
      });
      for (const query of queries) {
        const expected = exact(items, query);
        const viaFirst = await first.searchVectors(lookup(query));
        const viaChild = await client.search({ vector: query, k, version, attach: idMap });
        // Each hit carries its video id, read from the id map by the shard that found it.
        assert.deepEqual(
          viaChild.hits.map((h) => h.value?.toString('utf8')),
          viaChild.hits.map((h) => items.find((item) => item.id === h.id)?.videoId),
        );
        assert.ok(viaChild.hits.every((h) => h.value !== undefined));
        for (const result of [viaFirst, viaChild]) {
          assert.equal(result.degraded, false, JSON.stringify(result.unavailable));
          assert.deepEqual(result.searched, [0, 1, 2, 3]);
          assert.deepEqual(
            result.hits.map((h) => h.id),
            expected.map((e) => e.id),
          );
          result.hits.forEach((hit, i) => {
            assert.ok(Math.abs(hit.distance - (expected[i]?.distance ?? NaN)) < 1e-4);
            assert.equal(hit.partition, partitionOfId(items, hit.id));
          });
        }
        // Excluded ids never come back, and k others take their places.
        const excluded = expected.slice(0, 4).map((e) => e.id);
        const withExclusions = await client.search({
          vector: query,
          k,
          version,
          exclude: excluded,
        });
        assert.deepEqual(
          withExclusions.hits.map((h) => h.id),
          exact(items, query, new Set(excluded)).map((e) => e.id),
        );
      }
      // A client that does not ask for the binary format (curl, another language) gets JSON
      // with the same hits as the binary answer RemoteVectorSearch reads.
      const jsonAnswer = await fetch(`http://${secondEndpoint}/stores/item-vectors/search`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(searchRequestBody({ ...lookup(queryAt(queries, 4)), attach: idMap })),
      });
      assert.equal(jsonAnswer.headers.get('content-type'), 'application/json');
      const jsonBody = (await jsonAnswer.json()) as SearchResultBody;
      const binaryAnswer = await client.search({
        vector: queryAt(queries, 4),
        k,
        version,
        attach: idMap,
      });
      assert.deepEqual(searchResultOfBody(jsonBody), binaryAnswer);
      assert.equal(jsonBody.hits[0]?.[0], String(binaryAnswer.hits[0]?.id)); // decimal ids

      // Another model version: every shard refuses it, the result says so, nothing is thrown.
      const otherVersion = await client.search({ vector: queryAt(queries, 0), k, version: 'm0' });
      assert.equal(otherVersion.degraded, true);
      assert.equal(otherVersion.hits.length, 0);
      assert.deepEqual(
        otherVersion.unavailable.map((u) => u.partition),
        [0, 1, 2, 3],
      );
      assert.match(otherVersion.unavailable[0]?.reason ?? '', /version/);
      // A wrong token: refused by every endpoint, a degraded empty result.
      const stranger = new RemoteVectorSearch({
        endpoints: [first.queryEndpoint ?? ''],
        store: 'item-vectors',
        timeoutMs: 1_000,
        access: { token: 'not-the-token-of-this-job' },
      });
      const refused = await stranger.search({ vector: queryAt(queries, 0), k, version });
      assert.equal(refused.degraded, true);
      assert.equal(refused.hits.length, 0);
      assert.match(refused.unavailable[0]?.reason ?? '', /NOT_AUTHORIZED|refused/i);
      stranger.close();
      // An attach store the job does not have is the caller's error too.
      await assert.rejects(
        client.search({ vector: queryAt(queries, 0), k, version, attach: 'no-such-store' }),
        /no-such-store/,
      );
      // A malformed request is the caller's error: it throws.
      await assert.rejects(
        client.search({ vector: new Float32Array(3), k, version }),
        /dimension|floats|length/i,
      );

      // kill -9 the child: its shards are unavailable, the rest answer with their exact top K.
      second.process.kill('SIGKILL');
      await second.exited;
      const killedAt = performance.now();
      const survivors = new Set(mine);
      const lost = [0, 1, 2, 3].filter((p) => !survivors.has(p));
      const degraded = await first.searchVectors(lookup(queryAt(queries, 1)));
      console.log(
        `after kill -9: degraded ${degraded.degraded}, unavailable ${JSON.stringify(degraded.unavailable)}`,
      );
      assert.equal(degraded.degraded, true);
      assert.deepEqual(
        degraded.unavailable.map((u) => u.partition),
        lost,
      );
      assert.deepEqual(degraded.searched, mine);
      const survivorsOnly = items.filter((item) => survivors.has(item.partition));
      assert.deepEqual(
        degraded.hits.map((h) => h.id),
        exact(survivorsOnly, queryAt(queries, 1)).map((e) => e.id),
      );
      const viaClient = await client.search({ vector: queryAt(queries, 1), k, version });
      assert.equal(viaClient.degraded, true); // the child's endpoint refused, the first answered
      assert.deepEqual(
        viaClient.unavailable.map((u) => u.partition),
        lost,
      );

      // The group notices (session timeout), the survivor restores the lost shards: whole again.
      await until(
        'the survivor to run every shard',
        async () => {
          const result = await first.searchVectors(lookup(queryAt(queries, 2)));
          return !result.degraded && sameIds(result, exact(items, queryAt(queries, 2)));
        },
        60_000,
      );
      console.log(
        `whole again ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
      );
      const healed = await client.search({ vector: queryAt(queries, 3), k, version });
      assert.equal(healed.degraded, false);
      assert.deepEqual(
        healed.hits.map((h) => h.id),
        exact(items, queryAt(queries, 3)).map((e) => e.id),
      );
      client.close();
    } finally {
      second.process.kill('SIGKILL');
      await first.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
);

function startChild(options: { app: string; topic: string; stateDir: string }): {
  process: ChildProcess;
  ready: Promise<string>;
  exited: Promise<void>;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join('test', 'query', 'vectorShardsInstance.ts'),
      '--app',
      options.app,
      '--topic',
      options.topic,
      '--state-dir',
      options.stateDir,
      '--model-version',
      version,
      '--dimension',
      String(dimension),
    ],
    { env: { ...process.env, REELSTREAM_QUERY_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /INSTANCE_READY (\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the child exited (${code}): ${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { process: child, ready, exited };
}

function ownPartitions(job: StreamJob): number[] {
  return job
    .stats()
    .tasks.map((task) => Number(task.split('_')[1]))
    .sort((a, b) => a - b);
}

/** The `k` nearest items by squared L2 in float64, ties by id: what the merged search must give. */
function exact(
  items: readonly Item[],
  query: Float32Array,
  excluded: ReadonlySet<bigint> = new Set<bigint>(),
): { id: bigint; distance: number }[] {
  return items
    .filter((item) => !excluded.has(item.id))
    .map((item) => ({
      id: item.id,
      distance: item.vector.reduce((sum, v, d) => sum + (v - (query[d] ?? 0)) ** 2, 0),
    }))
    .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

function queryAt(queries: readonly Float32Array[], i: number): Float32Array {
  const query = queries[i];
  if (query === undefined) {
    throw new RangeError(`no query ${i}`);
  }
  return query;
}

function partitionOfId(items: readonly Item[], id: bigint): number | undefined {
  return items.find((item) => item.id === id)?.partition;
}

function sameIds(result: VectorSearchResult, expected: readonly { id: bigint }[]): boolean {
  return (
    result.hits.length === expected.length &&
    result.hits.every((hit, i) => hit.id === expected[i]?.id)
  );
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 40_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(200);
  }
}
