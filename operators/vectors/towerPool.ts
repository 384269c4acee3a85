import { OnnxBatchPool, type ModelInput } from './onnxBatchPool.js';

/** One input of a tower: an int64 id or `width` floats per row. */
export type TowerInput = ModelInput;

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

/**
 * A two-tower tower in ONNX Runtime, one row at a time: each caller asks for one user's or one
 * video's vector, and the rows asked for within `windowMs` of each other (or `maxBatch` of
 * them) run as one batch in a worker thread ({@link OnnxBatchPool}).
 */
export class TowerPool {
  readonly #pool: OnnxBatchPool;
  readonly #inputs: readonly TowerInput[];
  readonly #output: string;

  private constructor(pool: OnnxBatchPool, options: TowerPoolOptions) {
    this.#pool = pool;
    this.#inputs = options.inputs;
    this.#output = options.output;
  }

  /** Starts the workers; resolves once each has loaded the model. */
  static async open(options: TowerPoolOptions): Promise<TowerPool> {
    const pool = await OnnxBatchPool.open({
      modelFile: options.modelFile,
      inputs: options.inputs,
      outputs: [options.output],
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...(options.threadsPerWorker === undefined
        ? {}
        : { threadsPerWorker: options.threadsPerWorker }),
      ...(options.windowMs === undefined ? {} : { windowMs: options.windowMs }),
      ...(options.maxBatch === undefined ? {} : { maxRows: options.maxBatch }),
    });
    return new TowerPool(pool, options);
  }

  /** The output row for `row`, computed in a batch with the rows asked for around it. */
  async run(row: TowerRow): Promise<Float32Array> {
    const result = await this.#pool.run({ rows: 1, inputs: blockOf(this.#inputs, row) });
    const vector = result[this.#output];
    if (vector === undefined) {
      throw new Error(`${this.#output}: no output`);
    }
    return vector;
  }

  stats(): TowerPoolStats {
    const stats = this.#pool.stats();
    // One row a block: the most blocks in a batch is its largest batch in rows.
    return { rows: stats.rows, batches: stats.batches, largestBatch: stats.largestBatchBlocks };
  }

  /** Stops the workers; rows waiting or in flight are rejected. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** One row as a block of one: each input's values in its typed array. */
function blockOf(
  inputs: readonly TowerInput[],
  row: TowerRow,
): Record<string, BigInt64Array | Float32Array> {
  const block: Record<string, BigInt64Array | Float32Array> = {};
  for (const input of inputs) {
    const values: readonly (bigint | number)[] | undefined = row[input.name];
    if (values?.length !== input.width) {
      throw new Error(
        `input ${input.name} needs ${input.width} value(s) per row, not ${values?.length ?? 0}`,
      );
    }
    block[input.name] =
      input.dtype === 'int64'
        ? BigInt64Array.from(values, (value) => BigInt(value))
        : Float32Array.from(values, (value) => Number(value));
  }
  return block;
}
