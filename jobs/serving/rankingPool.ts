import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import type { TowerInput } from '../../operators/vectors/towerPool.js';
import { rankingWorkerSource } from './rankingWorkerSource.js';

/** One request's rows, already stacked: per input, `rows × width` values. */
export interface RowBlock {
  readonly rows: number;
  readonly inputs: Readonly<Record<string, BigInt64Array | Float32Array>>;
}

/** Per output, one value per row of the block. */
export type BlockResult = Readonly<Record<string, Float32Array>>;

export interface RankingPoolOptions {
  readonly modelFile: string;
  readonly inputs: readonly TowerInput[];
  /** The outputs to compute, each `[batch]`. */
  readonly outputs: readonly string[];
  /** Worker threads, each with its own session (default 1). */
  readonly workers?: number;
  /** ONNX Runtime's intra-op threads per worker (default 1). */
  readonly threadsPerWorker?: number;
  /** How long the first block of a batch waits for others (default 1 ms). */
  readonly windowMs?: number;
  /** Rows that make a batch go at once (default 8,192: about eight requests of 1,000). */
  readonly maxRows?: number;
}

/** What the pool has done, for the demo's summary and tests. */
export interface RankingPoolStats {
  readonly blocks: number;
  readonly batches: number;
  readonly rows: number;
  readonly largestBatchBlocks: number;
}

interface Waiting {
  readonly block: RowBlock;
  readonly resolve: (result: BlockResult) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly inFlight: Map<number, readonly Waiting[]>;
}

type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly buffers?: readonly ArrayBuffer[];
      readonly error?: string;
    };

/**
 * Runs a multi-output ONNX model (the ranker) in `worker_threads`, micro-batched across
 * requests: the row blocks of the requests that arrive within `windowMs` of the first (or
 * `maxRows` rows of them) are concatenated into one batch and one `session.run`, and each
 * caller gets its own rows of every output.
 *
 * Why merge requests: requests reach the serving task in bursts (a Kafka fetch hands it a
 * batch of them at once), and each `run` pays a fixed cost (the message to the worker, tensor
 * set-up, ONNX Runtime's per-run dispatch) that one 1,000-row run makes small but eight in a
 * row would multiply; in a queue behind one worker, the eighth request would also wait for
 * seven runs. One merged run answers all of them together, so a burst costs about one run's
 * latency. The window is short (1 ms) because at a low request rate it is pure added latency.
 * Why workers: `run()` computes on the calling thread (issue 20), so never on the event loop.
 */
export class RankingPool {
  readonly #options: Required<Omit<RankingPoolOptions, 'modelFile'>> & { modelFile: string };
  readonly #slots: Slot[] = [];
  #pending: Waiting[] = [];
  #pendingRows = 0;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  #closed = false;
  #failure: Error | undefined;
  #stats = { blocks: 0, batches: 0, rows: 0, largestBatchBlocks: 0 };

  private constructor(options: RankingPoolOptions) {
    this.#options = { workers: 1, threadsPerWorker: 1, windowMs: 1, maxRows: 8_192, ...options };
  }

  /** Starts the workers; resolves once each has loaded the model. */
  static async open(options: RankingPoolOptions): Promise<RankingPool> {
    const pool = new RankingPool(options);
    try {
      await Promise.all(Array.from({ length: pool.#options.workers }, () => pool.#start()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Every output for `block`'s rows, computed in one batch with the blocks around it. */
  run(block: RowBlock): Promise<BlockResult> {
    if (this.#closed || this.#failure !== undefined) {
      return Promise.reject(this.#failure ?? new Error('the ranking pool is closed'));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ block, resolve, reject });
      this.#pendingRows += block.rows;
      if (this.#pendingRows >= this.#options.maxRows) {
        this.#dispatch();
      } else {
        this.#timer ??= setTimeout(() => this.#dispatch(), this.#options.windowMs);
      }
    });
  }

  stats(): RankingPoolStats {
    return { ...this.#stats };
  }

  /** Stops the workers; blocks waiting or in flight are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    fail(this.#pending, new Error('the ranking pool closed'));
    this.#pending = [];
    this.#pendingRows = 0;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #start(): Promise<void> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(rankingWorkerSource, {
      eval: true,
      workerData: {
        ortPath,
        modelFile: this.#options.modelFile,
        threads: this.#options.threadsPerWorker,
      },
    });
    const slot: Slot = { worker, inFlight: new Map() };
    this.#slots.push(slot);
    return new Promise((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          resolve();
        } else if (message.type === 'failed') {
          reject(new Error(`${this.#options.modelFile}: ${message.message}`));
        } else {
          this.#settle(slot, message);
        }
      });
      // A dead worker takes its batches with it, and the pool refuses further blocks: the
      // ranking stage then fails, and the recommender serves the blend (ranking.ts).
      const died = (error: Error): void => {
        reject(error);
        this.#failure ??= error;
        for (const waiting of slot.inFlight.values()) {
          fail(waiting, error);
        }
        slot.inFlight.clear();
      };
      worker.on('error', died);
      worker.on('exit', (code) => {
        if (!this.#closed) {
          died(new Error(`a ranking worker exited (code ${code})`));
        }
      });
    });
  }

  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch: Waiting[] = [];
    let rows = 0;
    // Whole blocks only: at least one, then as many as fit in maxRows.
    while (this.#pending.length > 0) {
      const next = this.#pending[0];
      if (
        next === undefined ||
        (batch.length > 0 && rows + next.block.rows > this.#options.maxRows)
      ) {
        break;
      }
      this.#pending.shift();
      batch.push(next);
      rows += next.block.rows;
    }
    this.#pendingRows -= rows;
    if (this.#pending.length > 0) {
      this.#timer = setTimeout(() => this.#dispatch(), 0);
    }
    if (batch.length === 0) {
      return;
    }
    let inputs;
    try {
      inputs = this.#options.inputs.map((input) => concatenated(input, batch, rows));
    } catch (error) {
      fail(batch, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const slot = this.#slots.reduce((least, s) =>
      s.inFlight.size < least.inFlight.size ? s : least,
    );
    const id = this.#nextId++;
    slot.inFlight.set(id, batch);
    this.#stats.blocks += batch.length;
    this.#stats.batches += 1;
    this.#stats.rows += rows;
    this.#stats.largestBatchBlocks = Math.max(this.#stats.largestBatchBlocks, batch.length);
    slot.worker.postMessage(
      { id, inputs, outputs: this.#options.outputs },
      inputs.map((input) => input.buffer),
    );
  }

  #settle(slot: Slot, message: Extract<WorkerMessage, { type: 'result' }>): void {
    const batch = slot.inFlight.get(message.id);
    slot.inFlight.delete(message.id);
    if (batch === undefined) {
      return;
    }
    const buffers = message.buffers;
    if (message.error !== undefined || buffers === undefined) {
      fail(batch, new Error(`ranking model: ${message.error ?? 'no output'}`));
      return;
    }
    const outputs = buffers.map((buffer) => new Float32Array(buffer));
    let offset = 0;
    for (const waiting of batch) {
      const result: Record<string, Float32Array> = {};
      this.#options.outputs.forEach((name, i) => {
        result[name] = outputs[i]?.slice(offset, offset + waiting.block.rows) ?? new Float32Array();
      });
      offset += waiting.block.rows;
      waiting.resolve(result);
    }
  }
}

/** One input's values for every block of the batch, as the worker's tensor. */
function concatenated(
  input: TowerInput,
  batch: readonly Waiting[],
  rows: number,
): { name: string; type: string; buffer: ArrayBuffer; dims: number[] } {
  const data =
    input.dtype === 'int64'
      ? new BigInt64Array(rows * input.width)
      : new Float32Array(rows * input.width);
  let offset = 0;
  for (const { block } of batch) {
    const values = block.inputs[input.name];
    const expected = block.rows * input.width;
    if (
      values?.length !== expected ||
      values instanceof BigInt64Array !== data instanceof BigInt64Array
    ) {
      throw new Error(
        `input ${input.name} needs ${expected} ${input.dtype} values for ${block.rows} rows, not ${values?.length ?? 0}`,
      );
    }
    (data as { set(values: ArrayLike<number | bigint>, offset: number): void }).set(values, offset);
    offset += expected;
  }
  const dims = input.rank === 1 ? [rows] : [rows, input.width];
  return { name: input.name, type: input.dtype, buffer: data.buffer, dims };
}

function fail(batch: readonly Waiting[], error: Error): void {
  for (const waiting of batch) {
    waiting.reject(error);
  }
}
