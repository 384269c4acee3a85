import type { PartitionSample } from './partitionSample.js';

/**
 * The samples of every group's topic-partition, oldest first, bounded in age and count. It is
 * what makes a window out of single looks at the cluster; {@link sampleFile} keeps it between
 * one-shot runs.
 */
export class SampleHistory {
  /** Samples per partition beyond this are dropped oldest first (a 1 s watch over 10 min is 600). */
  static readonly maxSamplesPerPartition = 1_000;
  private readonly byPartition: Map<string, PartitionSample[]>;

  constructor(entries: Iterable<[string, PartitionSample[]]> = []) {
    this.byPartition = new Map(entries);
  }

  static key(group: string, topic: string, partition: number): string {
    return JSON.stringify([group, topic, partition]);
  }

  add(key: string, sample: PartitionSample): void {
    const samples = this.byPartition.get(key) ?? [];
    // A sample no newer than the last one is a replay of the same look (two runs in one ms).
    const last = samples[samples.length - 1];
    if (last !== undefined && sample.atMs <= last.atMs) {
      return;
    }
    samples.push(sample);
    if (samples.length > SampleHistory.maxSamplesPerPartition) {
      samples.splice(0, samples.length - SampleHistory.maxSamplesPerPartition);
    }
    this.byPartition.set(key, samples);
  }

  samples(key: string): readonly PartitionSample[] {
    return this.byPartition.get(key) ?? [];
  }

  /** Drops samples older than `retainMs` before `nowMs`, and partitions left without samples. */
  prune(nowMs: number, retainMs: number): void {
    for (const [key, samples] of this.byPartition) {
      const kept = samples.filter((s) => s.atMs >= nowMs - retainMs);
      if (kept.length === 0) {
        this.byPartition.delete(key);
      } else {
        this.byPartition.set(key, kept);
      }
    }
  }

  entries(): IterableIterator<[string, readonly PartitionSample[]]> {
    return this.byPartition.entries();
  }
}
