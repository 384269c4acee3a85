import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import { onnxWorkerSource } from './onnxWorkerSource.js';

/** One input of the model, per row: an int64 id or `width` floats (`[batch]` or `[batch, width]`). */
export interface ModelInput {
  readonly name: string;
  readonly dtype: 'int64' | 'float32';
  /** Values per row; a `[batch]` input has 1 and `rank` 1. */
  readonly width: number;
  readonly rank: 1 | 2;
}

/** One request's rows, already stacked: per input, `rows × width` values. */
export interface RowBlock {
  readonly rows: number;
  readonly inputs: Readonly<Record<string, BigInt64Array | Float32Array>>;
}

/** Per output, the block's rows of it: `rows × width` floats (width 1 for a `[batch]` output). */
export type BlockResult = Readonly<Record<string, Float32Array>>;

export interface OnnxBatchPoolOptions {
  readonly modelFile: string;
  readonly inputs: readonly ModelInput[];
  /** The outputs to compute, each `[batch]` or `[batch, width]`. */
  readonly outputs: readonly string[];
  /** Worker threads, each with its own session (default 1). */
  readonly workers?: number;
  /** ONNX Runtime's intra-op threads per worker (default 1). */
  readonly threadsPerWorker?: number;
  /** How long the first block of a batch waits for others (default 2 ms). */
  readonly windowMs?: number;
  /** Rows that make a batch go at once (default 64). */
  readonly maxRows?: number;
}

/** What the pool has done: blocks asked for, batches run, rows, the most blocks in a batch. */
export interface OnnxBatchPoolStats {
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
 * Runs an ONNX model in `worker_threads`, micro-batched: the row blocks asked for within
 * `windowMs` of the first (or `maxRows` rows of them) are concatenated into one batch and one
 * `session.run`, and each caller gets its own rows of every output. The two-tower towers ask
 * one row at a time (towerPool.ts), the ranker a request's candidates as one block
 * (jobs/serving/mmoeRanker.ts says why it merges requests).
 *
 * Why workers: ONNX Runtime's `run()` computes on the calling thread (issue 20: a large batch
 * stalled the event loop for 344–843 ms), so here it never runs on the main thread; a batch
 * goes to the worker with the fewest batches in flight.
 */
export class OnnxBatchPool {
  readonly #options: Required<Omit<OnnxBatchPoolOptions, 'modelFile'>> & { modelFile: string };
  readonly #slots: Slot[] = [];
  #pending: Waiting[] = [];
  #pendingRows = 0;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  #closed = false;
  #failure: Error | undefined;
  #stats = { blocks: 0, batches: 0, rows: 0, largestBatchBlocks: 0 };

  private constructor(options: OnnxBatchPoolOptions) {
    this.#options = { workers: 1, threadsPerWorker: 1, windowMs: 2, maxRows: 64, ...options };
  }

  /** Starts the workers; resolves once each has loaded the model. */
  static async open(options: OnnxBatchPoolOptions): Promise<OnnxBatchPool> {
    const pool = new OnnxBatchPool(options);
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
      return Promise.reject(this.#failure ?? new Error('the model pool is closed'));
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

  stats(): OnnxBatchPoolStats {
    return { ...this.#stats };
  }

  /** Stops the workers; blocks waiting or in flight are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    fail(this.#pending, new Error('the model pool closed'));
    this.#pending = [];
    this.#pendingRows = 0;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #start(): Promise<void> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(onnxWorkerSource, {
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
      // A dead worker takes its batches with it, and the pool refuses further blocks: its
      // caller decides (the item embedding job fails and restarts rather than dead-lettering
      // every record after it; the ranking stage serves the blend instead, ranking.ts).
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
          died(new Error(`a model worker exited (code ${code})`));
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
      fail(batch, new Error(`${this.#options.modelFile}: ${message.error ?? 'no output'}`));
      return;
    }
    const outputs = buffers.map((buffer) => new Float32Array(buffer));
    const rows = batch.reduce((sum, waiting) => sum + waiting.block.rows, 0);
    // Values per row of each output: 1 for `[batch]`, the width of a `[batch, width]` one.
    const widths = outputs.map((output) => output.length / rows);
    let offset = 0;
    for (const waiting of batch) {
      const result: Record<string, Float32Array> = {};
      this.#options.outputs.forEach((name, i) => {
        const width = widths[i] ?? 1;
        result[name] =
          outputs[i]?.slice(offset * width, (offset + waiting.block.rows) * width) ??
          new Float32Array();
      });
      offset += waiting.block.rows;
      waiting.resolve(result);
    }
  }
}

/** One input's values for every block of the batch, as the worker's tensor. */
function concatenated(
  input: ModelInput,
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
