import type { IncomingBatch, RecordProducer, RoundMark } from '../connectors/kafka/streamClient.js';
import { SerialQueue } from '../support/serialQueue.js';
import {
  AtLeastOnceCommitter,
  ExactlyOnceCommitter,
  type Committer,
  type ProcessingGuarantee,
} from './committer.js';
import type { GlobalStateManager } from './globalStateManager.js';
import { PartitionGroup } from './partitionGroup.js';
import type { RunResources } from './runResources.js';
import { Task } from './task.js';
import { TaskState, type RestoreReport } from './taskState.js';
import type { SubTopology } from './topology.js';

/** What creating a task needs from the batch that asked for it (or from its assignment). */
export type TaskSource = Pick<IncomingBatch, 'partition' | 'heartbeat'>;

/** A task with what runs it: how it commits, and the queue its batches and commits go through. */
export interface TaskRunner {
  readonly task: Task;
  readonly committer: Committer;
  readonly queue: SerialQueue;
  /** Source topics whose position was checked against the committed offset (exactly-once). */
  readonly checked: Set<string>;
  /**
   * The task's fetched records, per source partition, taken in timestamp order. It also
   * drops records kafkajs hands out again (after a rebalance it resumes from the committed
   * offset, behind what the task has already buffered or committed).
   */
  readonly input: PartitionGroup;
  /** Per source topic, the position the last commit gave the group. */
  readonly committed: Map<string, bigint>;
  /** Per source topic, the first offset buffered: where to go back to without a commit. */
  readonly firstFetched: Map<string, string>;
  /** Source topics paused because their buffer is full. */
  readonly paused: Set<string>;
  /** Whether a drain is queued and has not started. */
  drainQueued: boolean;
  /** Records processed since the task's last commit. */
  uncommittedRecords: number;
  /** When the task last committed (or was created), ms since the epoch. */
  lastCommitAt: number;
}

/**
 * Records a task processes in one turn of the event loop, at most: a larger slice means less
 * overhead per record, and a longer wait for everything else this process does in between
 * (interactive queries, fetches, heartbeats) and for a stop.
 */
export const recordsPerSlice = 100;

/** What a job run lends the creation of its tasks. */
export interface TaskRunnerContext extends RunResources {
  readonly guarantee: ProcessingGuarantee;
  /** The run's shared producer: at-least-once tasks commit through it. */
  readonly producer: RecordProducer;
  readonly globalState: GlobalStateManager | undefined;
  /** Stores earlier runs are still closing, per task id: opened only once these are closed. */
  readonly closing: ReadonlyMap<string, Promise<void>>;
  /** A task's stores were restored (or found current). */
  readonly onRestored: (report: RestoreReport) => void;
  /** The consumer's fetch round, for the partition group's idle waits. */
  readonly roundMark: () => RoundMark;
  /** At-least-once: a slice the task let outlive its turn has settled. */
  readonly onConcurrentSettled: (taskId: string) => void;
}

/**
 * Creates a task and what runs it. Under exactly-once the producer connects before the
 * changelogs are read: that fences any older owner of the task and settles its open
 * transaction, so the changelog the stores restore from and the committed offsets are final
 * before they are read. The stores open from local disk and the changelog reader connects
 * meanwhile (`readyToRestore`): tens of tasks connect and open at once after a restart, and the
 * opens waited for the fencing before.
 * Whatever fails on the way, what was opened is closed again.
 */
export async function createTaskRunner(
  context: TaskRunnerContext,
  sub: SubTopology,
  source: TaskSource,
): Promise<TaskRunner> {
  const { options, guarantee, logger } = context;
  const { partition } = source;
  const id = `${sub.id}_${partition}`;
  const connecting: Promise<Committer> =
    guarantee === 'exactly-once'
      ? context.client
          .transactionalProducer(`${options.applicationId}-${id}`)
          .then((p) => new ExactlyOnceCommitter(p, options.applicationId))
      : Promise.resolve(new AtLeastOnceCommitter(context.producer));
  // Awaited below in every path; a connect that fails while the stores open is not unhandled.
  connecting.catch(() => undefined);
  let state: TaskState | undefined;
  try {
    if (sub.stores.length > 0) {
      // A previous run of this job may still be closing this task's stores.
      await context.closing.get(id);
      const opened = await TaskState.open({
        applicationId: options.applicationId,
        taskId: id,
        partition,
        specs: sub.stores,
        stateDir: context.stateDir,
        budget: context.budget,
        ...(options.rocksDb === undefined ? {} : { rocksDb: options.rocksDb }),
        client: context.client,
        logger,
        readyToRestore: connecting,
        // A long restore must not look like a dead member to the group.
        onProgress: () => source.heartbeat(),
        carryPositions: guarantee === 'at-least-once',
      });
      state = opened.state;
      context.onRestored(opened.report);
    }
  } catch (error) {
    await state?.close().catch(() => undefined);
    await (await connecting.catch(() => undefined))?.close().catch(() => undefined);
    throw error;
  }
  const committer = await connecting.catch(async (error: unknown) => {
    await state?.close().catch(() => undefined);
    throw error;
  });
  try {
    const task = new Task({
      topology: context.topology,
      subTopology: sub,
      partition,
      policy: context.policy,
      clock: Date.now,
      tracksReplays: guarantee === 'at-least-once',
      ...(guarantee === 'at-least-once'
        ? {
            outlivingSlices: {
              maxInFlight: recordsPerSlice,
              onSettled: () => context.onConcurrentSettled(id),
            },
          }
        : {}),
      ...(state === undefined ? {} : { state }),
      ...(context.globalState === undefined ? {} : { globalStores: context.globalState }),
    });
    await task.init();
    logger.info({ task: id, guarantee }, 'task created');
    return {
      task,
      committer,
      queue: new SerialQueue(),
      checked: new Set(),
      input: new PartitionGroup({
        topics: [...sub.sources.keys()],
        roundMark: context.roundMark,
        maxIdleMs: options.maxTaskIdleMs ?? 30_000,
        waitForWritersMs: options.waitForWritersMs ?? 0,
        onForced: (topic, waitedMs) =>
          logger.warn(
            { task: id, topic, waitedMs },
            'an input behind its end delivered nothing for maxTaskIdleMs: processing the other inputs without it (records may be taken out of timestamp order)',
          ),
      }),
      committed: new Map(),
      firstFetched: new Map(),
      paused: new Set(),
      drainQueued: false,
      uncommittedRecords: 0,
      lastCommitAt: Date.now(),
    };
  } catch (error) {
    await committer.close().catch(() => undefined);
    throw error;
  }
}
