import type { GroupMember } from '../../operators/connectors/kafka/streamClient.js';
import { keyValueStore, Pipeline, stringSerde } from '../../operators/index.js';
import { QueryService } from '../../operators/query/queryService.js';
import type { QuerySecurity } from '../../operators/query/querySecurity.js';
import { partitionForKey } from '../../operators/runtime/partitioner.js';
import { Topology } from '../../operators/runtime/topology.js';
import { CacheBudget } from '../../operators/state/caching/cacheBudget.js';
import { InMemoryStore } from '../../operators/state/memory/inMemoryStore.js';
import { TaskStore } from '../../operators/state/taskStore.js';

/**
 * Query services on real HTTP servers over in-memory stores, with a scripted consumer group:
 * what the query tests share, so each can try routing, security or paging without a broker.
 * The store `greetings` maps each key to `hello <key>`; it is partitioned like topic `people`.
 */
export const partitions = 4;
export const store = keyValueStore({ name: 'greetings', key: stringSerde, value: stringSerde });
const pipeline = new Pipeline();
pipeline
  .source('people', { key: stringSerde, value: stringSerde })
  .process<string, string>(() => ({ process: () => undefined }), {
    name: 'greet',
    stores: [store],
  });
const topology = new Topology(pipeline.graph, 'query-test');
const budget = new CacheBudget(1 << 24);

export const partitionOf = (key: string): number => partitionForKey(Buffer.from(key), partitions);

export interface Instance {
  readonly name: string;
  readonly owns: Set<number>;
  readonly stores: Map<string, TaskStore>;
  /** Tasks assigned but not yet created (restoring). */
  readonly restoring: Set<string>;
  readonly service: QueryService;
  advertise: boolean;
  /** What the consumer group looks like to this instance. */
  view: () => GroupMember[];
}

export function instance(name: string, owns: number[], security?: QuerySecurity): Instance {
  const stores = new Map<string, TaskStore>();
  for (const partition of owns) {
    stores.set(
      `0_${partition}`,
      new TaskStore({ name: store.name, inner: new InMemoryStore(), budget }),
    );
  }
  const restoring = new Set<string>();
  const service = new QueryService(
    {
      topology,
      groupId: 'query-test',
      client: {
        partitionCounts: (topics) => Promise.resolve(new Map(topics.map((t) => [t, partitions]))),
        groupMembers: () => Promise.resolve(self.view()),
      },
      localStore: (taskId) => stores.get(taskId),
      isAssigned: (taskId) => stores.has(taskId) || restoring.has(taskId),
    },
    undefined,
    security,
  );
  const self: Instance = {
    name,
    owns: new Set(owns),
    stores,
    restoring,
    service,
    advertise: true,
    view: () => [],
  };
  return self;
}

export function memberOf(member: Instance): GroupMember {
  return {
    memberId: `${member.name}-member`,
    clientId: 'query-test',
    clientHost: `/10.0.0.${member.name === 'first' ? 1 : 2}`,
    queryEndpoint: member.advertise ? member.service.endpoint : undefined,
    assignment: new Map([['people', [...member.owns]]]),
  };
}

/** Writes `hello <key>` for each key into the instance that owns its partition. */
export function fill(instances: readonly Instance[], keys: readonly string[]): void {
  for (const key of keys) {
    const task = `0_${partitionOf(key)}`;
    const owner = instances.find((i) => i.stores.has(task));
    owner?.stores.get(task)?.put(Buffer.from(key), Buffer.from(`hello ${key}`));
  }
}

/** Every instance sees the same group: each owning its partitions, advertising its endpoint. */
export function agree(instances: readonly Instance[]): void {
  for (const member of instances) {
    member.advertise = true;
    member.view = () => instances.map(memberOf);
    member.service.invalidate();
  }
}

export const base64url = (text: string): string => Buffer.from(text).toString('base64url');
