/**
 * Whether a process's memory levels off over a run at constant load: the least-squares trend
 * of its RSS in MB a minute, with a 95% interval, over the looks after a warm-up (while a job
 * starts, its caches, memtables and heap fill from nothing, a rise that says nothing of a
 * leak). The verdict holds the trend against a tolerance (1 MB a minute by default): **flat**
 * when the interval's upper end is below it, **RISING** when its lower end is above it,
 * otherwise **undecided**. The heap's trend is given beside it: a rise of RSS that the heap
 * does not share is native memory (RocksDB, buffers); where the process reports RocksDB's own
 * estimate of its memory, its trend and that of RSS without it say whether that native memory
 * is RocksDB's (its index and filter blocks grow with the data on disk); where it also reports
 * V8's heap as held and the Buffers outside it, their trends and that of what is left (native
 * memory nobody accounts for) say which of them grows. So is the trend over the last half of
 * those looks alone: memory that fills a bounded cache or heap for longer than the warm-up
 * rises over the whole and levels off in the later half; a leak rises in both.
 *
 * Successive looks at memory are not independent (it drifts between collections and
 * compactions rather than scattering), so the looks are averaged in bins of two minutes and
 * the slope is fitted to the bin means, its interval widened for what autocorrelation is left
 * between them ({@link slopeWithInterval}). On synthetic series (a collector's sawtooth plus a
 * wander that keeps 80% of itself from one 30 s look to the next) the interval holds the true
 * slope about 90% of the time (96% for the sawtooth alone); memory that wanders more slowly
 * than that gets a narrower interval than it should.
 */

import { binMeans, slopeWithInterval, type Trend, type XY } from './trend.js';

/** One look at a process. */
export interface MemoryLook {
  /** Seconds since the looks began. */
  readonly seconds: number;
  readonly rssMb: number;
  readonly heapMb: number;
  /** RocksDB's native memory, where the process reports it. */
  readonly rocksDbMb?: number;
  /** V8's heap as taken from the system (used and free), where the process reports it. */
  readonly heapCommittedMb?: number;
  /** Buffers' and ArrayBuffers' bytes outside the heap, where the process reports them. */
  readonly externalMb?: number;
}

export type MemoryVerdictKind = 'flat' | 'RISING' | 'undecided' | 'too short to judge';

export interface MemoryVerdict {
  readonly verdict: MemoryVerdictKind;
  /** Seconds left out at the start. */
  readonly warmUpSeconds: number;
  readonly toleranceMbPerMinute: number;
  /** Looks after the warm-up, and the bins they were averaged in. */
  readonly looks: number;
  readonly bins: number;
  readonly binSeconds: number;
  /** RSS at the first and last look after the warm-up. */
  readonly firstRssMb: number;
  readonly lastRssMb: number;
  /** RSS and heap trends in MB a minute; undefined with under `minimumBins` bins. */
  readonly rss: Trend | undefined;
  readonly heap: Trend | undefined;
  /**
   * Where every look has RocksDB's native memory: its trend, and that of RSS without it (what
   * grows for other reasons than the stores' data: a rise of RSS that this one does not share
   * is RocksDB's).
   */
  readonly rocksDb: Trend | undefined;
  readonly rssLessRocksDb: Trend | undefined;
  /**
   * Where every look has RocksDB's memory, V8's committed heap and the external bytes: the
   * trends of the last two, and that of the rest of RSS without all three (native memory no
   * one accounts for: addons' own allocations, malloc's fragmentation, threads' stacks, code).
   */
  readonly heapCommitted: Trend | undefined;
  readonly external: Trend | undefined;
  readonly unaccounted: Trend | undefined;
  readonly spanSeconds: number;
  /** The RSS trend over the last half of the looks after the warm-up, from `lastHalfFrom`. */
  readonly lastHalf: Trend | undefined;
  readonly lastHalfFromSeconds: number;
}

export interface MemoryTrendOptions {
  /** Seconds left out at the start; by default 5 minutes, or a third of a shorter run. */
  readonly warmUpSeconds?: number;
  /** Largest rise, MB a minute, that still counts as flat. Default 1. */
  readonly toleranceMbPerMinute?: number;
}

const defaultWarmUpSeconds = 300;
const binSeconds = 120;
const minimumBins = 4;

export function judgeMemory(
  looks: readonly MemoryLook[],
  options: MemoryTrendOptions = {},
): MemoryVerdict {
  const sorted = [...looks].sort((a, b) => a.seconds - b.seconds);
  const last = sorted[sorted.length - 1]?.seconds ?? 0;
  const warmUpSeconds = options.warmUpSeconds ?? Math.min(defaultWarmUpSeconds, last / 3);
  const kept = sorted.filter((l) => l.seconds >= warmUpSeconds);
  const toleranceMbPerMinute = options.toleranceMbPerMinute ?? 1;
  const binned = (y: (l: MemoryLook) => number, from = kept): XY[] =>
    binMeans(
      from.map((l) => ({ x: l.seconds, y: y(l) })),
      from[0]?.seconds ?? 0,
      binSeconds,
    );
  const fit = (bins: XY[]): Trend | undefined =>
    bins.length < minimumBins
      ? undefined
      : slopeWithInterval(bins, { perX: 60, correctAutocorrelation: true });
  const rssBins = binned((l) => l.rssMb);
  const rss = fit(rssBins);
  const heap = fit(binned((l) => l.heapMb));
  const withRocksDb = kept.length > 0 && kept.every((l) => l.rocksDbMb !== undefined);
  const rocksDb = withRocksDb ? fit(binned((l) => l.rocksDbMb ?? 0)) : undefined;
  const rssLessRocksDb = withRocksDb ? fit(binned((l) => l.rssMb - (l.rocksDbMb ?? 0))) : undefined;
  const accounted =
    withRocksDb && kept.every((l) => l.heapCommittedMb !== undefined && l.externalMb !== undefined);
  const heapCommitted = accounted ? fit(binned((l) => l.heapCommittedMb ?? 0)) : undefined;
  const external = accounted ? fit(binned((l) => l.externalMb ?? 0)) : undefined;
  const unaccounted = accounted
    ? fit(
        binned(
          (l) => l.rssMb - (l.rocksDbMb ?? 0) - (l.heapCommittedMb ?? 0) - (l.externalMb ?? 0),
        ),
      )
    : undefined;
  const lastHalfFromSeconds = ((kept[0]?.seconds ?? 0) + last) / 2;
  const lastHalf = fit(
    binned(
      (l) => l.rssMb,
      kept.filter((l) => l.seconds >= lastHalfFromSeconds),
    ),
  );
  const verdict: MemoryVerdictKind =
    rss === undefined
      ? 'too short to judge'
      : rss.high <= toleranceMbPerMinute
        ? 'flat'
        : rss.low > toleranceMbPerMinute
          ? 'RISING'
          : 'undecided';
  return {
    verdict,
    warmUpSeconds,
    toleranceMbPerMinute,
    looks: kept.length,
    bins: rssBins.length,
    binSeconds,
    firstRssMb: kept[0]?.rssMb ?? Number.NaN,
    lastRssMb: kept[kept.length - 1]?.rssMb ?? Number.NaN,
    rss,
    heap,
    rocksDb,
    rssLessRocksDb,
    heapCommitted,
    external,
    unaccounted,
    spanSeconds: (kept[kept.length - 1]?.seconds ?? 0) - (kept[0]?.seconds ?? 0),
    lastHalf,
    lastHalfFromSeconds,
  };
}

/**
 * A line when the warm-up left out less than the time the process's state grows by design
 * (`stateFillsForSeconds`, e.g. windows of the last hour filling bucket by bucket): its trend
 * then counts that filling, which a longer warm-up would leave out. Nothing otherwise.
 */
export function describeStateFilling(
  name: string,
  v: MemoryVerdict,
  stateFillsForSeconds: number | undefined,
): string[] {
  if (stateFillsForSeconds === undefined || v.warmUpSeconds >= stateFillsForSeconds) {
    return [];
  }
  return [
    `  memory ${name.padEnd(17)} its windows fill for ${(stateFillsForSeconds / 60).toFixed(0)} ` +
      `min from a cold start: a warm-up of ${(v.warmUpSeconds / 60).toFixed(1)} min counts ` +
      `their filling in the trend (--warm-up ${stateFillsForSeconds} leaves it out)`,
  ];
}

/** The verdict as lines of the demo's summary: the trend, then that of the last half. */
export function describeMemoryTrend(name: string, v: MemoryVerdict): string[] {
  const head = `  memory ${name.padEnd(17)} ${v.verdict}`;
  const warmUp = `first ${(v.warmUpSeconds / 60).toFixed(1)} min left out as warm-up`;
  if (v.rss === undefined) {
    return [
      `${head} (a trend needs ${minimumBins} bins of ${binSeconds / 60} min after the warm-up; ` +
        `${warmUp})`,
    ];
  }
  const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;
  const trend = (t: Trend): string =>
    `${signed(t.slope)} MB/min [95%: ${signed(t.low)}, ${signed(t.high)}]`;
  const lines = [
    `${head}: RSS ${trend(v.rss)} against ${v.toleranceMbPerMinute} MB/min, ` +
      `${v.firstRssMb.toFixed(0)} → ${v.lastRssMb.toFixed(0)} MB over ` +
      `${(v.spanSeconds / 60).toFixed(1)} min (${v.looks} samples in ${v.bins} bins of ` +
      `${v.binSeconds / 60} min, autocorrelation ${v.rss.autocorrelation.toFixed(2)}); ` +
      (v.heap === undefined ? '' : `heap ${trend(v.heap)}; `) +
      warmUp,
  ];
  if (v.rocksDb !== undefined && v.rssLessRocksDb !== undefined) {
    lines.push(
      `  memory ${name.padEnd(17)} of which RocksDB (table readers, memtables, block caches) ` +
        `${trend(v.rocksDb)}; RSS less RocksDB ${trend(v.rssLessRocksDb)}`,
    );
  }
  if (v.heapCommitted !== undefined && v.external !== undefined && v.unaccounted !== undefined) {
    lines.push(
      `  memory ${name.padEnd(17)} of which V8's heap as held ${trend(v.heapCommitted)}; ` +
        `Buffers outside it ${trend(v.external)}; ` +
        `the rest (addons' own, malloc, stacks, code) ${trend(v.unaccounted)}`,
    );
  }
  if (v.lastHalf !== undefined) {
    lines.push(
      `  memory ${name.padEnd(17)} last half (from ${(v.lastHalfFromSeconds / 60).toFixed(1)} ` +
        `min): RSS ${trend(v.lastHalf)}`,
    );
  }
  return lines;
}
