import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import { towerWorkerSource } from './towerWorkerSource.js';

/** One input of the model, per row: an int64 id or `width` floats (`[batch]` or `[batch, width]`). */
export interface TowerInput {
  readonly name: string;
  readonly dtype: 'int64' | 'float32';
  /** Values per row; a `[batch]` input has 1 and `rank` 1. */
  readonly width: number;
  readonly rank: 1 | 2;
}

/** One row's values, by input name: bigints for int64 inputs, numbers for float32 ones. */
export type TowerRow = Readonly<Record<string, readonly bigint[] | readonly number[]>>;

export interface TowerPoolOptions {
  /** The ONNX model (an item or user tower). */
  readonly modelFile: string;
  readonly inputs: readonly TowerInput[];
  /** The output to return, `[batch, dimension]`. */
  readonly output: string;
  /** Worker threads, each with its own session (default 1). */
  readonly workers?: number;
  /** ONNX Runtime's intra-op threads per worker (default 1: the pool is the parallelism). */
  readonly threadsPerWorker?: number;
  /** How long the first row of a batch waits for others (default 2 ms). */
  readonly windowMs?: number;
  /** Rows that make a batch go at once (default 64). */
  readonly maxBatch?: number;
}

/** What the pool has done: rows embedded, batches run, the largest batch. */
export interface TowerPoolStats {
  readonly rows: number;
  readonly batches: number;
  readonly largestBatch: number;
}

interface Waiting {
  readonly row: TowerRow;
  readonly resolve: (vector: Float32Array) => void;
  readonly reject: (error: Error) => void;
}

interface WorkerSlot {
  readonly worker: Worker;
  readonly inFlight: Map<number, readonly Waiting[]>;
}

type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | ResultMessage;

interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly buffer?: ArrayBuffer;
  readonly dims?: readonly number[];
  readonly error?: string;
}

/**
 * Runs an ONNX tower in `worker_threads`, micro-batched: rows asked for within `windowMs` of
 * each other (or `maxBatch` of them) go to one worker as one batch, and each caller gets its
 * own row of the output. ONNX Runtime's `run()` computes on the calling thread (issue 20: a
 * large batch stalled the event loop for 344–843 ms), so here it never runs on the main thread;
 * a batch goes to the worker with the fewest batches in flight.
 */
export class TowerPool {
  readonly #options: Required<Omit<TowerPoolOptions, 'modelFile'>> & { modelFile: string };
  readonly #slots: WorkerSlot[] = [];
  #pending: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  #closed = false;
  #failure: Error | undefined;
  #rows = 0;
  #batches = 0;
  #largestBatch = 0;

  private constructor(options: TowerPoolOptions) {
    this.#options = {
      workers: 1,
      threadsPerWorker: 1,
      windowMs: 2,
      maxBatch: 64,
      ...options,
    };
  }

  /** Starts the workers; resolves once each has loaded the model. */
  static async open(options: TowerPoolOptions): Promise<TowerPool> {
    const pool = new TowerPool(options);
    try {
      await Promise.all(Array.from({ length: pool.#options.workers }, () => pool.#startWorker()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** The output row for `row`, computed in a batch with the rows asked for around it. */
  run(row: TowerRow): Promise<Float32Array> {
    if (this.#closed || this.#failure !== undefined) {
      return Promise.reject(this.#failure ?? new Error('the tower pool is closed'));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (this.#pending.length >= this.#options.maxBatch) {
        this.#dispatch();
      } else {
        this.#timer ??= setTimeout(() => this.#dispatch(), this.#options.windowMs);
      }
    });
  }

  stats(): TowerPoolStats {
    return { rows: this.#rows, batches: this.#batches, largestBatch: this.#largestBatch };
  }

  /** Stops the workers; rows waiting or in flight are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#fail(this.#pending, new Error('the tower pool closed'));
    this.#pending = [];
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #startWorker(): Promise<void> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const worker = new Worker(towerWorkerSource, {
      eval: true,
      workerData: {
        ortPath,
        modelFile: this.#options.modelFile,
        threads: this.#options.threadsPerWorker,
      },
    });
    const slot: WorkerSlot = { worker, inFlight: new Map() };
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
      // A worker that dies takes its batches with it; the pool then refuses further rows (the
      // job fails and restarts rather than dead-lettering every record after it).
      const died = (error: Error): void => {
        reject(error);
        this.#failure ??= error;
        for (const waiting of slot.inFlight.values()) {
          this.#fail(waiting, error);
        }
        slot.inFlight.clear();
      };
      worker.on('error', died);
      worker.on('exit', (code) => {
        if (!this.#closed) {
          died(new Error(`a tower worker exited (code ${code})`));
        }
      });
    });
  }

  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0, this.#options.maxBatch);
    if (this.#pending.length > 0) {
      this.#timer = setTimeout(() => this.#dispatch(), 0);
    }
    if (batch.length === 0) {
      return;
    }
    let inputs;
    try {
      inputs = this.#options.inputs.map((input) => stack(input, batch));
    } catch (error) {
      this.#fail(batch, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const slot = this.#slots.reduce((least, s) =>
      s.inFlight.size < least.inFlight.size ? s : least,
    );
    const id = this.#nextId++;
    slot.inFlight.set(id, batch);
    this.#rows += batch.length;
    this.#batches += 1;
    this.#largestBatch = Math.max(this.#largestBatch, batch.length);
    slot.worker.postMessage(
      { id, inputs, output: this.#options.output },
      inputs.map((input) => input.buffer),
    );
  }

  #settle(slot: WorkerSlot, message: ResultMessage): void {
    const batch = slot.inFlight.get(message.id);
    slot.inFlight.delete(message.id);
    if (batch === undefined) {
      return;
    }
    if (message.error !== undefined || message.buffer === undefined) {
      this.#fail(batch, new Error(`${this.#options.output}: ${message.error ?? 'no output'}`));
      return;
    }
    const all = new Float32Array(message.buffer);
    const width = all.length / batch.length;
    batch.forEach((waiting, i) => waiting.resolve(all.slice(i * width, (i + 1) * width)));
  }

  #fail(batch: readonly Waiting[], error: Error): void {
    for (const waiting of batch) {
      waiting.reject(error);
    }
  }
}

/** One input's values for every row of the batch, as the worker's tensor. */
function stack(
  input: TowerInput,
  batch: readonly Waiting[],
): { name: string; type: string; buffer: ArrayBuffer; dims: number[] } {
  const data =
    input.dtype === 'int64'
      ? new BigInt64Array(batch.length * input.width)
      : new Float32Array(batch.length * input.width);
  batch.forEach(({ row }, i) => {
    const values = row[input.name];
    if (values?.length !== input.width) {
      throw new Error(
        `input ${input.name} needs ${input.width} value(s) per row, not ${values?.length ?? 0}`,
      );
    }
    values.forEach((value, j) => {
      if (data instanceof BigInt64Array) {
        data[i * input.width + j] = BigInt(value);
      } else {
        data[i * input.width + j] = Number(value);
      }
    });
  });
  const dims = input.rank === 1 ? [batch.length] : [batch.length, input.width];
  return { name: input.name, type: input.dtype, buffer: data.buffer, dims };
}
