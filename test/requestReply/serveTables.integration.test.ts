import assert from 'node:assert/strict';
import { test } from 'node:test';

import pino from 'pino';

import {
  ConfigError,
  jsonSerde,
  Pipeline,
  RequestClient,
  StreamJob,
  stringSerde,
} from '../../operators/index.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { produceAll } from '../support/records.js';

// A request handler reading the request key's row of a table co-partitioned with the requests
// (`serve({ tables })`, `lookups.table`): the serving job's way to its users' features.

interface Profile {
  readonly name: string;
  readonly version: number;
}
interface Ask {
  readonly what: string;
}
interface Answer {
  readonly key: string | null;
  readonly profile: Profile | null;
}

const serdes = { key: stringSerde, request: jsonSerde<Ask>(), reply: jsonSerde<Answer>() };
const profileSerdes = { key: stringSerde, value: jsonSerde<Profile>() };

function profilesPipeline(requestTopic: string, profileTopic: string): Pipeline {
  const pipeline = new Pipeline();
  const profiles = pipeline.table(profileTopic, profileSerdes, { name: 'profiles' });
  pipeline.serve({
    name: 'ask-profile',
    topic: requestTopic,
    serdes,
    tables: [profiles],
    handle: async (_request, record, lookups) => ({
      key: record.key,
      profile: (await lookups.table(profiles)) ?? null,
    }),
  });
  return pipeline;
}

test('a handler reads its request key’s row of a co-partitioned table, and sees it change', async () => {
  const requestTopic = uniqueName('profile-requests');
  const profileTopic = uniqueName('profiles');
  await createTopics([requestTopic, profileTopic], { partitions: 3 });
  const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
  await produceAll({
    topic: profileTopic,
    serdes: profileSerdes,
    records: users.map((key) => ({ key, value: { name: `name of ${key}`, version: 1 } })),
  });
  const job = new StreamJob({
    pipeline: profilesPipeline(requestTopic, profileTopic),
    applicationId: uniqueName('profiles-job'),
    connection,
    logger: pino({ level: 'error' }),
  });
  await job.start();
  const client = await RequestClient.start({ connection, requestTopic, serdes });
  const ask = (key: string) => client.request({ what: 'profile' }, { key, timeoutMs: 30_000 });
  /** Asks until the reply holds `version` (the job reads the table beside the requests). */
  const askUntil = async (key: string, version: number): Promise<Answer> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await ask(key);
      if (answer.profile?.version === version || Date.now() > deadline) {
        return answer;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  try {
    // Every user, on every partition, gets their own row, never another user's.
    for (const key of users) {
      assert.deepEqual(await askUntil(key, 1), {
        key,
        profile: { name: `name of ${key}`, version: 1 },
      });
    }
    // A key the table lacks reads as no row; the handler decides what that means.
    assert.deepEqual(await ask('nobody'), { key: 'nobody', profile: null });
    // An update of the table reaches the next requests.
    await produceAll({
      topic: profileTopic,
      serdes: profileSerdes,
      records: [{ key: 'user-3', value: { name: 'renamed', version: 2 } }],
    });
    assert.deepEqual(await askUntil('user-3', 2), {
      key: 'user-3',
      profile: { name: 'renamed', version: 2 },
    });
    assert.equal(job.state, 'running');
  } finally {
    await client.close();
    await job.stop();
  }
});

test('a table that is not co-partitioned with the requests stops the job at start', async () => {
  const requestTopic = uniqueName('profile-requests');
  const profileTopic = uniqueName('profiles');
  await createTopics([requestTopic], { partitions: 2 });
  await createTopics([profileTopic], { partitions: 3 });
  const job = new StreamJob({
    pipeline: profilesPipeline(requestTopic, profileTopic),
    applicationId: uniqueName('profiles-job'),
    connection,
    logger: pino({ level: 'silent' }),
  });
  await assert.rejects(
    job.start(),
    (error: unknown) =>
      error instanceof ConfigError &&
      /not co-partitioned/.test(error.message) &&
      error.message.includes(`${profileTopic} (3)`),
  );
});
