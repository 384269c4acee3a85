import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import { examplesToArrowFile } from './arrowExamples.js';

/** One day: the default partition of the example files. */
export const dayMs = 24 * 3_600_000;

/** A file written by {@link PartitionedExampleWriter}. */
export interface ExampleFile {
  readonly path: string;
  /** The partition: examples with `partitionStart <= exampleTime < partitionEnd`. */
  readonly partitionStart: number;
  readonly partitionEnd: number;
  readonly examples: number;
}

/**
 * The sink of the training examples: Arrow IPC files partitioned by the examples' time (UTC
 * days by default), one file per partition, `examples-<start>.arrow` with `<start>` the
 * partition's UTC start (`1997-09-20`, or `1997-09-20T06-00` for partitions shorter than a
 * day). A partition is written once, when the caller says no example of it can come any more
 * ({@link flushBefore}); its rows are sorted by example time, user, video and request, so the
 * same examples always give the same file. Written to a temporary name and renamed, so a
 * reader never sees half a file.
 */
export class PartitionedExampleWriter {
  private readonly pending = new Map<number, TrainingExample[]>();
  private readonly written: ExampleFile[] = [];
  private readonly partitionMs: number;

  constructor(
    private readonly dir: string,
    options: { readonly partitionMs?: number } = {},
  ) {
    this.partitionMs = options.partitionMs ?? dayMs;
    if (!(this.partitionMs > 0)) {
      throw new Error(`partitionMs must be positive, not ${this.partitionMs}`);
    }
    mkdirSync(dir, { recursive: true });
  }

  /** Files written so far, oldest partition first. */
  get files(): readonly ExampleFile[] {
    return this.written;
  }

  add(examples: readonly TrainingExample[]): void {
    for (const example of examples) {
      const start = Math.floor(example.exampleTime / this.partitionMs) * this.partitionMs;
      if (this.written.some((f) => f.partitionStart === start)) {
        throw new Error(
          `example at ${new Date(example.exampleTime).toISOString()} arrived after its partition was written`,
        );
      }
      const list = this.pending.get(start);
      if (list === undefined) {
        this.pending.set(start, [example]);
      } else {
        list.push(example);
      }
    }
  }

  /** Writes every pending partition that ends at or before `timeMs`. */
  flushBefore(timeMs: number): ExampleFile[] {
    const due = [...this.pending.keys()]
      .filter((start) => start + this.partitionMs <= timeMs)
      .sort((a, b) => a - b);
    return due.map((start) => this.writePartition(start));
  }

  /** Writes every pending partition. */
  close(): ExampleFile[] {
    return this.flushBefore(Number.POSITIVE_INFINITY);
  }

  private writePartition(start: number): ExampleFile {
    const examples = (this.pending.get(start) ?? []).sort(compareExamples);
    this.pending.delete(start);
    const path = join(this.dir, `examples-${this.label(start)}.arrow`);
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, examplesToArrowFile(examples));
    renameSync(temporary, path);
    const file = {
      path,
      partitionStart: start,
      partitionEnd: start + this.partitionMs,
      examples: examples.length,
    };
    this.written.push(file);
    return file;
  }

  private label(start: number): string {
    const iso = new Date(start).toISOString();
    return this.partitionMs % dayMs === 0 ? iso.slice(0, 10) : iso.slice(0, 16).replace(':', '-');
  }
}

function compareExamples(a: TrainingExample, b: TrainingExample): number {
  return (
    a.exampleTime - b.exampleTime ||
    compareText(a.userId, b.userId) ||
    compareText(a.videoId, b.videoId) ||
    compareText(a.requestId, b.requestId)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
