import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Consumer } from 'kafkajs';

import { createTopics, testKafka, uniqueName, waitFor } from '../support/integration.js';
import { JavaConsumer } from './javaConsumer.js';
import {
  kafkaConsumerGroupsDescribe,
  kafkaConsumerGroupsStates,
  kafkaLibs,
  prefixPattern,
  reelstreamLag,
  reelstreamLagAsync,
  type KafkaToolRow,
  type LagJson,
} from './lagCli.js';

/**
 * Parity with Apache Kafka's `kafka-consumer-groups.sh --describe`: twelve classic-group scenarios
 * are set up against the real broker, left to quiesce, then both tools describe the same groups.
 * For every row, committed offset, log-end offset, lag and owner must print the same (`-`
 * included). A second test does the same for KIP-848 groups of Java consumers, state, member
 * count, host and client id included.
 */
const libs = kafkaLibs();
const prefix = uniqueName('lagparity');
const kafka = testKafka('lag-parity');
const admin = kafka.admin();
const consumers: Consumer[] = [];
const javaConsumers: JavaConsumer[] = [];
const releases: (() => void)[] = [];

after(async () => {
  releases.forEach((release) => release());
  await Promise.all(javaConsumers.map((c) => c.stop()));
  // A consumer disconnected while its JoinGroup is still parked on the broker leaves its socket
  // open (kafkajs), and the test process would never exit: let the rebalance finish first.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await groupState(name('rebalancing'))) !== 'Stable') {
    await sleep(200);
  }
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await admin.disconnect();
});

const name = (scenario: string): string => `${prefix}.${scenario}`;

async function produce(
  topic: string,
  messages: { partition?: number; key?: string; value: string }[],
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

function values(n: number, partition?: number): { partition?: number; value: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    ...(partition === undefined ? {} : { partition }),
    value: `v${i}`,
  }));
}

/** A kafkajs consumer that consumes (and commits) everything it is given, until disconnected. */
async function runningConsumer(
  group: string,
  topics: string[],
  options: { fromBeginning?: boolean; onMessage?: () => Promise<void> } = {},
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 30_000 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
  await consumer.run({ eachMessage: options.onMessage ?? (() => Promise.resolve()) });
  return consumer;
}

async function committed(group: string, topic: string): Promise<number[]> {
  const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (entry?.partitions ?? [])
    .sort((a, b) => a.partition - b.partition)
    .map((p) => Number(p.offset));
}

async function waitForCommitted(group: string, topic: string, expected: number[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const actual = await committed(group, topic);
    if (JSON.stringify(actual) === JSON.stringify(expected)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${group}: committed ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`,
      );
    }
    await sleep(200);
  }
}

async function groupState(group: string): Promise<string> {
  const { groups } = await admin.describeGroups([group]);
  return groups[0]?.state ?? 'Unknown';
}

const scenarios: Record<string, () => Promise<void>> = {
  /** A consumer that has read everything and keeps running. */
  async steady() {
    const topic = name('steady');
    await createTopics([topic], { partitions: 3 });
    await produce(topic, [...values(10, 0), ...values(7, 1), ...values(4, 2)]);
    await runningConsumer(name('steady'), [topic]);
    await waitForCommitted(name('steady'), topic, [10, 7, 4]);
  },
  /** A consumer that read part, then stopped; more records arrived since. */
  async stopped() {
    const topic = name('stopped');
    await createTopics([topic], { partitions: 2 });
    await produce(topic, [...values(5, 0), ...values(5, 1)]);
    const consumer = await runningConsumer(name('stopped'), [topic]);
    await waitForCommitted(name('stopped'), topic, [5, 5]);
    await consumer.disconnect();
    await produce(topic, [...values(8, 0), ...values(3, 1)]);
  },
  /** An assigned partition the group never committed: `-` for offset and lag. */
  async neverCommitted() {
    const topic = name('never');
    await createTopics([topic], { partitions: 2 });
    await produce(topic, values(6, 1));
    await runningConsumer(name('never'), [topic], { fromBeginning: false });
    await waitFor(() => true, 'join');
    await sleep(1_000);
    await produce(topic, values(3, 0));
    await waitForCommitted(name('never'), topic, [3, -1]);
  },
  /** Offsets committed for a topic the running member is not assigned. */
  async unassigned() {
    const [a, b] = [name('unassigned-a'), name('unassigned-b')];
    await createTopics([a, b]);
    await produce(a, values(9));
    await produce(b, values(2));
    await admin.setOffsets({
      groupId: name('unassigned'),
      topic: a,
      partitions: [{ partition: 0, offset: '4' }],
    });
    await runningConsumer(name('unassigned'), [b]);
    await waitForCommitted(name('unassigned'), b, [2]);
  },
  /** Committed offsets and no members at all. */
  async empty() {
    const topic = name('empty');
    await createTopics([topic], { partitions: 2 });
    await produce(topic, [...values(4, 0), ...values(4, 1)]);
    await admin.setOffsets({
      groupId: name('empty'),
      topic,
      partitions: [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '4' },
      ],
    });
  },
  /** One member blocked in its handler while another joins: the group waits in PreparingRebalance. */
  async rebalancing() {
    const topic = name('rebalancing');
    await createTopics([topic], { partitions: 2 });
    await produce(topic, [...values(3, 0), ...values(3, 1)]);
    await admin.setOffsets({
      groupId: name('rebalancing'),
      topic,
      partitions: [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '1' },
      ],
    });
    let blocked = false;
    const gate = new Promise<void>((resolve) => releases.push(resolve));
    await runningConsumer(name('rebalancing'), [topic], {
      onMessage: async () => {
        blocked = true;
        await gate;
      },
    });
    await waitFor(() => blocked, 'the first member to block');
    const second = kafka.consumer({ groupId: name('rebalancing'), sessionTimeout: 30_000 });
    consumers.push(second);
    await second.connect();
    await second.subscribe({ topics: [topic], fromBeginning: true });
    void second.run({ eachMessage: () => Promise.resolve() }).catch(() => undefined);
    const deadline = Date.now() + 15_000;
    while ((await groupState(name('rebalancing'))) !== 'PreparingRebalance') {
      assert.ok(Date.now() < deadline, 'group never started rebalancing');
      await sleep(100);
    }
  },
  /** Transactions: the committed offset sits on the last commit marker (lag 1, nothing to read). */
  async transactional() {
    const topic = name('txn');
    await createTopics([topic], { partitions: 2 });
    const producer = kafka.producer({
      transactionalId: `${name('txn')}.producer`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (let i = 0; i < 3; i++) {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [...values(2, 0), ...values(2, 1)] });
      await txn.commit();
    }
    await producer.disconnect();
    // Per partition: 3 × (2 records + marker) = offsets 0..8; log end 9. A consumer that commits
    // "last record + 1" sits on the final marker (8); one that skips markers commits 9.
    await admin.setOffsets({
      groupId: name('txn'),
      topic,
      partitions: [
        { partition: 0, offset: '8' },
        { partition: 1, offset: '9' },
      ],
    });
  },
  /** One group over three topics. */
  async severalTopics() {
    const topics = [name('multi-a'), name('multi-b'), name('multi-c')];
    await createTopics(topics, { partitions: 2 });
    for (const t of topics) {
      await produce(t, [...values(5, 0), ...values(2, 1)]);
    }
    await runningConsumer(name('multi'), topics);
    for (const t of topics) {
      await waitForCommitted(name('multi'), t, [5, 2]);
    }
    await produce(topics[0] ?? '', values(4, 1));
  },
  /** A compacted topic, where offsets have gaps once the cleaner runs. */
  async compacted() {
    const topic = name('compacted');
    await createTopics([topic], {
      config: {
        'cleanup.policy': 'compact',
        'segment.ms': '100',
        'min.cleanable.dirty.ratio': '0.01',
      },
    });
    for (let round = 0; round < 3; round++) {
      await produce(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `r${round}` })),
      );
    }
    await admin.setOffsets({
      groupId: name('compacted'),
      topic,
      partitions: [{ partition: 0, offset: '6' }],
    });
  },
  /** Committed beyond the log end (150 on a log of 100): kafka-consumer-groups prints LAG -50. */
  async beyondEnd() {
    const topic = name('beyond');
    await createTopics([topic]);
    await produce(topic, values(100));
    await admin.setOffsets({
      groupId: name('beyond'),
      topic,
      partitions: [{ partition: 0, offset: '150' }],
    });
  },
  /** Records deleted below the committed offset: log start 25, committed 10, log end 40. */
  async deletedRecords() {
    const topic = name('purged');
    await createTopics([topic]);
    await produce(topic, values(40));
    await admin.setOffsets({
      groupId: name('purged'),
      topic,
      partitions: [{ partition: 0, offset: '10' }],
    });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '25' }] });
  },
  /** Offsets committed for a topic that was deleted afterwards (and for one that still exists). */
  async deletedTopic() {
    const [kept, gone] = [name('deleted-kept'), name('deleted-gone')];
    await createTopics([kept, gone]);
    await produce(kept, values(5));
    await produce(gone, values(5));
    await admin.setOffsets({
      groupId: name('deleted'),
      topic: kept,
      partitions: [{ partition: 0, offset: '2' }],
    });
    await admin.setOffsets({
      groupId: name('deleted'),
      topic: gone,
      partitions: [{ partition: 0, offset: '3' }],
    });
    await admin.deleteTopics({ topics: [gone] });
    await sleep(1_000);
  },
};

test(
  'reelstream lag prints the same offsets and lag as kafka-consumer-groups.sh --describe',
  {
    skip: libs === undefined ? 'Apache Kafka jars not found (run deploy/local/setup.sh)' : false,
    timeout: 90_000,
  },
  async (t) => {
    await admin.connect();
    await Promise.all(Object.values(scenarios).map((setUp) => setUp()));
    const groups = Object.keys(scenarios).map((s) => name(scenarioGroup(s)));
    await sleep(1_000); // let the last commits land: the cluster is quiet from here on

    const kafkaRows = kafkaConsumerGroupsDescribe(libs ?? '', groups);
    const ours = reelstreamLag(['--json', '--no-state', '--group', prefixPattern(prefix)]);
    assert.equal(ours.status, 0, ours.stderr);
    const report = JSON.parse(ours.stdout) as LagJson;
    const ourRows = new Map(
      report.groups.flatMap((g) =>
        g.partitions.map((p) => [
          `${g.group} ${p.topic} ${p.partition}`,
          {
            currentOffset: cell(p.committedOffset),
            logEndOffset: cell(p.logEndOffset),
            lag: cell(p.lag),
            consumerId: p.consumerId ?? '-',
          },
        ]),
      ),
    );
    const theirRows = new Map(
      kafkaRows.map((r) => [
        `${r.group} ${r.topic} ${r.partition}`,
        {
          currentOffset: r.currentOffset,
          logEndOffset: r.logEndOffset,
          lag: r.lag,
          consumerId: r.consumerId,
        },
      ]),
    );

    let differing = 0;
    for (const scenario of Object.keys(scenarios)) {
      const group = name(scenarioGroup(scenario));
      const keys = [...new Set([...ourRows.keys(), ...theirRows.keys()])].filter((k) =>
        k.startsWith(`${group} `),
      );
      const diffs = keys.filter(
        (k) => JSON.stringify(ourRows.get(k)) !== JSON.stringify(theirRows.get(k)),
      );
      differing += diffs.length;
      const state = report.groups.find((g) => g.group === group)?.state ?? 'absent';
      t.diagnostic(
        `${scenario.padEnd(14)} state ${state.padEnd(18)} rows ${keys.length}  differing ${diffs.length}`,
      );
      for (const k of keys) {
        const mismatch = diffs.includes(k) ? `  != ours ${JSON.stringify(ourRows.get(k))}` : '';
        t.diagnostic(
          `    ${k.slice(group.length + 1)}: ${JSON.stringify(theirRows.get(k))}${mismatch}`,
        );
      }
    }
    assert.equal(differing, 0);
    assert.ok(theirRows.size >= 17, `only ${theirRows.size} rows compared`);
    // Beyond the log end: Kafka's -50 (compared above), and a status that says it is wrong.
    const beyond = report.groups.find((g) => g.group === name('beyond'));
    assert.deepEqual(
      [beyond?.status, beyond?.reason, beyond?.partitions[0]?.lag],
      ['ERR', 'BEYOND_LOG_END', -50],
    );
    // Deleted below the committed offset: 15 records lost, and the time lag is the age of the
    // first record left (read at the log start), not 0.
    const purged = report.groups.find((g) => g.group === name('purged'))?.partitions[0];
    assert.deepEqual(
      [purged?.status, purged?.reason, purged?.lostRecords, purged?.timeLagSource],
      ['ERR', 'RECORDS_LOST', 15, 'record'],
    );
    assert.ok((purged?.timeLagSeconds ?? 0) > 0, `time lag ${purged?.timeLagSeconds}`);
    // The transactional group is caught up although its lag is 1.
    const txn = report.groups.find((g) => g.group === name('txn'));
    assert.deepEqual(
      txn?.partitions.map((p) => [p.lag, p.effectiveLag, p.timeLagSeconds]),
      [
        [1, 0, 0],
        [0, 0, 0],
      ],
    );
  },
);

/** Each scenario's group is named after it, except where a shorter name reads better. */
function scenarioGroup(scenario: string): string {
  const names: Record<string, string> = {
    neverCommitted: 'never',
    transactional: 'txn',
    severalTopics: 'multi',
    deletedTopic: 'deleted',
    beyondEnd: 'beyond',
    deletedRecords: 'purged',
  };
  return names[scenario] ?? scenario;
}

function cell(value: number | null): string {
  return value === null ? '-' : String(value);
}

test(
  'KIP-848 groups of Java consumers: state, members, owners and rows as kafka-consumer-groups prints them',
  {
    skip: libs === undefined ? 'Apache Kafka jars not found (run deploy/local/setup.sh)' : false,
    timeout: 240_000,
  },
  async (t) => {
    const jars = libs ?? '';
    await admin.connect();
    // steady: two members share four partitions and commit everything they read.
    // held: one member owns both partitions and never commits; partition 0 had offset 2
    // committed before it joined (so lag 8 that never moves: STALL), partition 1 has none ("-").
    const [steady, held] = [name('k848-steady'), name('k848-held')];
    await createTopics([steady], { partitions: 4 });
    await createTopics([held], { partitions: 2 });
    await produce(
      steady,
      [0, 1, 2, 3].flatMap((p) => values(5 + p, p)),
    );
    await produce(held, [...values(10, 0), ...values(10, 1)]);
    await admin.setOffsets({
      groupId: held,
      topic: held,
      partitions: [{ partition: 0, offset: '2' }],
    });
    const java = (group: string, clientId: string, commit: boolean): JavaConsumer => {
      const consumer = new JavaConsumer(jars, {
        group,
        topic: group,
        clientId,
        protocol: 'consumer',
        commit,
      });
      javaConsumers.push(consumer);
      return consumer;
    };
    java(steady, 'k848-a', true);
    java(steady, 'k848-b', true);
    java(held, 'k848-held', false);

    const groups = [steady, held];
    const settled = (rows: KafkaToolRow[]): boolean => {
      const of = (g: string): KafkaToolRow[] => rows.filter((r) => r.group === g);
      const steadyRows = of(steady);
      return (
        steadyRows.length === 4 &&
        steadyRows.every((r) => r.currentOffset === r.logEndOffset && r.consumerId !== '-') &&
        new Set(steadyRows.map((r) => r.consumerId)).size === 2 &&
        of(held).length === 2 &&
        of(held).every((r) => r.consumerId !== '-')
      );
    };
    const deadline = Date.now() + 120_000;
    while (!settled(kafkaConsumerGroupsDescribe(jars, groups))) {
      assert.ok(
        Date.now() < deadline,
        `the Java consumers never settled:\n${javaConsumers.map((c) => c.log).join('\n')}`,
      );
      await sleep(1_000);
    }

    // Kafka, then ours, then Kafka again: compared only when Kafka saw the same both times.
    let compared = false;
    for (let attempt = 0; attempt < 3 && !compared; attempt++) {
      const before = describeAll(jars, groups);
      const ours = await reelstreamLagAsync([
        '--json',
        '--no-state',
        '--group',
        `${steady}|${held}`,
      ]);
      const afterwards = describeAll(jars, groups);
      if (JSON.stringify(before) !== JSON.stringify(afterwards)) {
        continue;
      }
      compared = true;
      assert.equal(ours.status, 0, ours.stderr);
      const report = JSON.parse(ours.stdout) as LagJson;
      const oursDescribed = {
        states: groups.map((g) => {
          const group = report.groups.find((r) => r.group === g);
          return [g, group?.state, group?.members];
        }),
        rows: report.groups
          .flatMap((g) =>
            g.partitions.map((p) =>
              [
                g.group,
                p.topic,
                p.partition,
                cell(p.committedOffset),
                cell(p.logEndOffset),
                cell(p.lag),
                p.consumerId ?? '-',
                p.host ?? '-',
                p.clientId ?? '-',
              ].join(' '),
            ),
          )
          .sort(),
      };
      for (const line of before.rows) {
        t.diagnostic(`kafka: ${line.slice(prefix.length + 1)}`);
      }
      t.diagnostic(`kafka states: ${JSON.stringify(before.states)}`);
      assert.deepEqual(oursDescribed, before);
      assert.deepEqual(
        before.states.map(([, state, members]) => [state, members]),
        [
          ['Stable', 2],
          ['Stable', 1],
        ],
      );
    }
    assert.ok(compared, 'kafka-consumer-groups never saw the same twice in a row');

    // The held group's member is alive and owns its partitions: STALL, not STOP.
    const stall = await reelstreamLagAsync([
      '--alert',
      '--json',
      '--no-state',
      '--group',
      prefixPattern(held),
      ...['--samples', '6', '--interval', '1', '--window', '4', '--min-samples', '3'],
    ]);
    const group = (JSON.parse(stall.stdout) as LagJson).groups[0];
    assert.deepEqual(
      [stall.status, group?.status, group?.reason, group?.partitions.map((p) => p.reason)],
      [2, 'ERR', 'STALL', ['STALL', 'NO_OFFSET']],
      stall.stderr,
    );
  },
);

/** kafka-consumer-groups' view of the groups: [group, state, #members], and rows as text. */
function describeAll(
  jars: string,
  groups: readonly string[],
): { states: (string | number | undefined)[][]; rows: string[] } {
  const states = kafkaConsumerGroupsStates(jars, groups);
  const rows = kafkaConsumerGroupsDescribe(jars, groups).map((r) =>
    [
      r.group,
      r.topic,
      r.partition,
      r.currentOffset,
      r.logEndOffset,
      r.lag,
      r.consumerId,
      r.host,
      r.clientId,
    ].join(' '),
  );
  return {
    states: groups.map((g) => [g, states.get(g)?.state, states.get(g)?.members]),
    rows: rows.sort(),
  };
}
