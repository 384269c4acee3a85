/**
 * The job the chaos harness kills: per-user running totals, per-video hopping 5 min / 1 min
 * view counts, and a table re-aggregation (users per category of their latest video) over
 * ChaosWatchEvents, with the guarantee given on the command line.
 *
 *   node --import tsx test/chaos/chaosJob.ts --app chaos --input chaos.events \
 *     --video-output chaos.video-views --user-output chaos.user-totals \
 *     --late-output chaos.late --rows chaos.user-rows --category-output chaos.category-users \
 *     --guarantee exactly-once --state-dir /tmp/chaos-state
 *
 * Output formats (what test/chaos/verifier.ts checks):
 * - video output: key `<videoId>@<windowStart>`, value the count as decimal text, one record
 *   per update;
 * - user output: key userId, value JSON `{"seq","count","watchedMs"}`, one per input record;
 * - late output: key `<videoId>@<windowStart>`, value `<userId>:<seq>`, one per (record,
 *   closed window);
 * - rows: key userId, value `<category>:<seq>` or a tombstone (chaosModel.ts `chaosRowOf`), one
 *   per input record; read back as the table `user-category` (latest row per user);
 * - category output: that table grouped by category (`Table.groupBy`) and aggregated with an
 *   adder and a subtractor: key the category, value `{"count","last"}`, where last is the
 *   change applied last (`+<userId>:<seq>` joined, `-<userId>:<seq>` left), one per change.
 * Each state restore prints `CHAOS_RESTORE {"task","store","records","bytes","ms","at"}` (`at`:
 * when it ended, epoch ms, so the harness can tell how long a run's restores took together).
 */
import { Command, Option } from 'commander';

import {
  avroSerde,
  connectionConfigFromEnv,
  hoppingWindows,
  jsonSerde,
  nullable,
  Pipeline,
  StreamJob,
  stringSerde,
  type ProcessingGuarantee,
} from '../../operators/index.js';
import { chaosRowOf, type CategoryCount } from './chaosModel.js';
import { chaosWatchEventSchema, type ChaosWatchEvent } from './generated/chaosWatchEvent.js';

interface JobFlags {
  readonly app: string;
  readonly input: string;
  readonly videoOutput: string;
  readonly userOutput: string;
  readonly lateOutput: string;
  readonly rows: string;
  readonly categoryOutput: string;
  readonly guarantee: ProcessingGuarantee;
  readonly stateDir: string;
}

interface UserTotals {
  readonly seq: number;
  readonly count: number;
  readonly watchedMs: number;
}

export const chaosWindows = hoppingWindows({
  sizeMs: 300_000,
  advanceMs: 60_000,
  graceMs: 600_000,
});

export function chaosPipeline(topics: {
  input: string;
  videoOutput: string;
  userOutput: string;
  lateOutput: string;
  rows: string;
  categoryOutput: string;
}): Pipeline {
  const pipeline = new Pipeline();
  const events = avroSerde(chaosWatchEventSchema);
  const watches = pipeline.source(topics.input, { key: stringSerde, value: events });
  watches
    .groupByKey({ name: 'by-user', serdes: { key: stringSerde, value: events } })
    .aggregate<UserTotals>({
      name: 'user-totals',
      initializer: () => ({ seq: 0, count: 0, watchedMs: 0 }),
      adder: (totals, event: ChaosWatchEvent) => ({
        seq: event.seq,
        count: totals.count + 1,
        watchedMs: totals.watchedMs + event.watchedMs,
      }),
      serde: jsonSerde<UserTotals>(),
    })
    .toStream()
    .to(topics.userOutput, { key: stringSerde, value: jsonSerde<UserTotals>() });
  const views = watches
    .groupBy((record) => record.value.videoId, {
      name: 'by-video',
      serdes: { key: stringSerde, value: events },
    })
    .windowedBy(chaosWindows)
    .count({ name: 'video-views' });
  views
    .toStream()
    .map((r) => r.withKey(`${r.key.key}@${r.key.start}`).withValue(String(r.value)))
    .to(topics.videoOutput, { key: stringSerde, value: stringSerde });
  views
    .lateRecords()
    .map((r) =>
      r.withKey(`${r.key.key}@${r.key.start}`).withValue(`${r.value.userId}:${r.value.seq}`),
    )
    .to(topics.lateOutput, { key: stringSerde, value: stringSerde });
  // The table re-aggregation: each event replaces (or deletes) its user's row; the rows go
  // through a topic of their own and come back as a table, so deletes are real tombstones.
  watches
    .map((r) => r.withValue(chaosRowOf(r.value)))
    .to(topics.rows, { key: stringSerde, value: nullable(stringSerde) });
  pipeline
    .table(topics.rows, { key: stringSerde, value: stringSerde }, { name: 'user-category' })
    .groupBy(
      (userId, row) => {
        const colon = row.lastIndexOf(':');
        return { key: row.slice(0, colon), value: `${userId}:${row.slice(colon + 1)}` };
      },
      { name: 'users-by-category', serdes: { key: stringSerde, value: stringSerde } },
    )
    .aggregate<CategoryCount>({
      name: 'users-per-category',
      initializer: () => ({ count: 0, last: '' }),
      adder: (aggregate, row) => ({ count: aggregate.count + 1, last: `+${row}` }),
      subtractor: (aggregate, row) => ({ count: aggregate.count - 1, last: `-${row}` }),
      serde: jsonSerde<CategoryCount>(),
    })
    .toStream()
    .to(topics.categoryOutput, { key: stringSerde, value: jsonSerde<CategoryCount>() });
  return pipeline;
}

async function main(): Promise<void> {
  const flags = new Command('chaos-job')
    .requiredOption('--app <id>', 'application id (consumer group, transactional id prefix)')
    .requiredOption('--input <topic>', 'input topic')
    .requiredOption('--video-output <topic>', 'per-video window counts')
    .requiredOption('--user-output <topic>', 'per-user running totals')
    .requiredOption('--late-output <topic>', 'records later than grace')
    .requiredOption('--rows <topic>', "each user's latest row (written, then read as a table)")
    .requiredOption('--category-output <topic>', 'users per category (table re-aggregation)')
    .addOption(
      new Option('--guarantee <mode>', 'processing guarantee')
        .choices(['exactly-once', 'at-least-once'])
        .default('exactly-once'),
    )
    .requiredOption('--state-dir <dir>', 'local state directory')
    .parse()
    .opts<JobFlags>();
  const job = new StreamJob({
    pipeline: chaosPipeline(flags),
    applicationId: flags.app,
    connection: connectionConfigFromEnv(),
    guarantee: flags.guarantee,
    stateDir: flags.stateDir,
    sessionTimeoutMs: 6_000,
    onRestore: (report) => {
      const line = {
        task: report.taskId,
        store: report.stores.join(','),
        records: report.records,
        bytes: report.bytes,
        ms: Math.round(report.ms),
        at: Date.now(),
      };
      console.log(`CHAOS_RESTORE ${JSON.stringify(line)}`);
    },
  });
  job.stopOnSignals();
  await job.start();
  await job.whenStopped();
}

await main();
