import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import type { GroupMember } from '../../operators/connectors/kafka/streamClient.js';
import { Pipeline, RemoteVectorSearch, seededRandom } from '../../operators/index.js';
import { QueryService } from '../../operators/query/queryService.js';
import type { QuerySecurity } from '../../operators/query/querySecurity.js';
import { partitionForKey } from '../../operators/runtime/partitioner.js';
import { Topology } from '../../operators/runtime/topology.js';
import { CacheBudget } from '../../operators/state/caching/cacheBudget.js';
import { InMemoryStore } from '../../operators/state/memory/inMemoryStore.js';
import { TaskStore } from '../../operators/state/taskStore.js';
import { faissBindingAvailable } from '../../operators/vectors/faissIndex.js';
import { VectorStore } from '../../operators/vectors/vectorStore.js';
import { itemVectorShards, videoVectorId } from '../../pipelines/itemEmbeddingShards.js';

/**
 * Vector search with the key-value routes' security: two instances serving https with a
 * self-signed certificate made here by openssl and a shared token, each running two shards of
 * an item-shards pipeline (in-memory stores, real FAISS indexes). A search asked of one is
 * forwarded to the other over https and merges into the brute-force top K with the video ids
 * attached; a client that speaks http, does not trust the certificate, or has no token gets a
 * degraded, empty result, never an answer.
 */

const skip = faissBindingAvailable()
  ? false
  : 'the FAISS binding is not built: run `bash deploy/local/setup/faissBinding.sh`';
const partitions = 4;
const dimension = 6;
const version = 'm1';
const dir = mkdtempSync(join(tmpdir(), 'reelstream-vector-tls-'));
execFileSync(
  'openssl',
  [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
    ...['-subj', '/CN=reelstream-query-test'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  ],
  { stdio: 'pipe' },
);
const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
const key = readFileSync(join(dir, 'key.pem'), 'utf8');
const token = randomBytes(32).toString('hex');
const security: QuerySecurity = { tokens: [token], tls: { cert, key, ca: cert } };
const topic = 'embeddings';
const pipeline = new Pipeline();
const stores = itemVectorShards(pipeline, { topic, modelVersion: version, dimension });
const topology = new Topology(pipeline.graph, 'vector-tls-test');
const budget = new CacheBudget(1 << 24);
const random = seededRandom(3);
const items = Array.from({ length: 120 }, (_, i) => ({
  videoId: `v-${i}`,
  vector: Float32Array.from({ length: dimension }, () => random() - 0.5),
}));

interface Instance {
  readonly name: string;
  readonly owns: readonly number[];
  readonly service: QueryService;
  readonly vectors: Map<string, VectorStore>;
  readonly ids: Map<string, TaskStore>;
}

function instance(name: string, owns: readonly number[]): Instance {
  const vectors = new Map<string, VectorStore>();
  const ids = new Map<string, TaskStore>();
  const self: Instance = {
    name,
    owns,
    vectors,
    ids,
    service: new QueryService(
      {
        topology,
        groupId: 'vector-tls-test',
        client: {
          partitionCounts: (topics) => Promise.resolve(new Map(topics.map((t) => [t, partitions]))),
          groupMembers: () => Promise.resolve(members()),
        },
        localStore: (taskId, store) =>
          store === stores.videoIds.name ? ids.get(taskId) : undefined,
        isAssigned: (taskId) => vectors.has(taskId),
        localVectorStore: (taskId) => vectors.get(taskId),
      },
      undefined,
      security,
    ),
  };
  return self;
}

const first = instance('first', [0, 1]);
const second = instance('second', [2, 3]);

function members(): GroupMember[] {
  return [first, second].map((member) => ({
    memberId: `${member.name}-member`,
    clientId: 'vector-tls-test',
    clientHost: '/127.0.0.1',
    queryEndpoint: member.service.endpoint,
    assignment: new Map([[topic, [...member.owns]]]),
  }));
}

before(async () => {
  if (skip !== false) {
    return;
  }
  for (const member of [first, second]) {
    for (const partition of member.owns) {
      const taskId = `0_${partition}`;
      const store = new TaskStore({
        name: stores.vectors.name,
        inner: new InMemoryStore(),
        budget,
      });
      const vectors = new VectorStore({ store, definition: stores.vectors });
      await vectors.open();
      member.vectors.set(taskId, vectors);
      member.ids.set(
        taskId,
        new TaskStore({ name: stores.videoIds.name, inner: new InMemoryStore(), budget }),
      );
    }
    await member.service.listen('127.0.0.1:0');
  }
  for (const item of items) {
    const taskId = `0_${partitionForKey(Buffer.from(item.videoId), partitions)}`;
    const owner = [first, second].find((m) => m.vectors.has(taskId));
    const id = videoVectorId(item.videoId);
    owner?.vectors.get(taskId)?.upsert(id, item.vector, version);
    owner?.ids.get(taskId)?.put(Buffer.from(String(id)), Buffer.from(item.videoId));
  }
});

after(async () => {
  for (const member of [first, second]) {
    await member.service.close();
    for (const vectors of member.vectors.values()) {
      vectors.dispose();
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function nearest(query: Float32Array, k: number): string[] {
  return items
    .map((item) => ({
      videoId: item.videoId,
      distance: item.vector.reduce((sum, v, d) => sum + (v - (query[d] ?? 0)) ** 2, 0),
    }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k)
    .map((hit) => hit.videoId);
}

const search = (access: ConstructorParameters<typeof RemoteVectorSearch>[0]['access']) =>
  new RemoteVectorSearch({
    endpoints: [first.service.endpoint ?? ''],
    store: stores.vectors.name,
    timeoutMs: 2_000,
    ...(access === undefined ? {} : { access }),
  });

test(
  'a search over https with the token: forwarded over https, every shard merged',
  { skip },
  async () => {
    const client = search({ token, tls: { ca: cert } });
    for (let i = 0; i < 5; i++) {
      const query = Float32Array.from({ length: dimension }, () => random() - 0.5);
      const result = await client.search({
        vector: query,
        k: 8,
        version,
        attach: stores.videoIds.name,
      });
      assert.equal(result.degraded, false, JSON.stringify(result.unavailable));
      assert.deepEqual(result.searched, [0, 1, 2, 3]);
      assert.deepEqual(
        result.hits.map((hit) => hit.value?.toString('utf8')),
        nearest(query, 8),
      );
    }
    client.close();
  },
);

test(
  'http, an untrusted certificate or no token: degraded and empty, never an answer',
  { skip },
  async () => {
    const query = Float32Array.from({ length: dimension }, () => random() - 0.5);
    for (const [what, access] of [
      ['plain http', { token }],
      ['the system CAs only', { token, tls: {} }],
      ['no token', { tls: { ca: cert } }],
    ] as const) {
      const client = search(access);
      const result = await client.search({ vector: query, k: 8, version });
      assert.equal(result.degraded, true, what);
      assert.deepEqual(result.hits, [], what);
      client.close();
    }
  },
);
