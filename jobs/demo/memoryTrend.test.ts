import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  describeMemoryTrend,
  describeStateFilling,
  judgeMemory,
  type MemoryLook,
} from './memoryTrend.js';
import { slopeWithInterval } from './trend.js';

/** Deterministic noise in [0, 1) (mulberry32): the tests must not depend on the run. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Thirty minutes of looks every 30 s at a process: RSS climbs 150 MB over the first 3 minutes
 * (caches and heap filling), then holds at 400 MB plus `risePerMinute`, with a garbage
 * collector's sawtooth of up to 20 MB and a slow wander that neighbouring looks share (each
 * keeps 80% of the last one's and adds up to ±3 MB, as compactions and collections leave it).
 */
function run(options: { risePerMinute: number; seed: number }): MemoryLook[] {
  const random = noise(options.seed);
  const looks: MemoryLook[] = [];
  let wander = 0;
  for (let seconds = 30; seconds <= 1_800; seconds += 30) {
    wander = 0.8 * wander + (random() * 2 - 1) * 3;
    const warmUp = Math.min(1, seconds / 180) * 150;
    const rise = (options.risePerMinute * seconds) / 60;
    const sawtooth = random() * 20;
    looks.push({
      seconds,
      rssMb: 250 + warmUp + rise + sawtooth + wander,
      heapMb: 60 + sawtooth,
    });
  }
  return looks;
}

const seeds = Array.from({ length: 40 }, (_, i) => i + 1);

test('memory trend: RSS that levels off after the warm-up is flat, its interval around 0', () => {
  let covered = 0;
  let flat = 0;
  for (const seed of seeds) {
    const v = judgeMemory(run({ risePerMinute: 0, seed }));
    const rss = v.rss;
    assert.ok(rss !== undefined);
    assert.notEqual(
      v.verdict,
      'RISING',
      `seed ${seed}: ${describeMemoryTrend('features', v).join(' ')}`,
    );
    flat += v.verdict === 'flat' ? 1 : 0;
    assert.equal(v.warmUpSeconds, 300);
    assert.equal(v.looks, 51);
    assert.equal(rss.points, 13);
    covered += rss.low < 0 && rss.high > 0 ? 1 : 0;
  }
  // A 95% interval, about 90% on series that wander like these: 0 in about 36 of 40.
  assert.ok(covered >= 34, `0 in ${covered} of ${seeds.length} intervals`);
  assert.ok(flat >= 34, `flat in ${flat} of ${seeds.length}`);
});

test('memory trend: a rise of 2 MB a minute is found', () => {
  let covered = 0;
  let rising = 0;
  for (const seed of seeds) {
    const v = judgeMemory(run({ risePerMinute: 2, seed }));
    assert.notEqual(
      v.verdict,
      'flat',
      `seed ${seed}: ${describeMemoryTrend('features', v).join(' ')}`,
    );
    rising += v.verdict === 'RISING' ? 1 : 0;
    covered += v.rss !== undefined && v.rss.low < 2 && v.rss.high > 2 ? 1 : 0;
  }
  assert.ok(covered >= 34, `2 in ${covered} of ${seeds.length} intervals`);
  assert.ok(rising >= 34, `rising in ${rising} of ${seeds.length}`);
});

test('memory trend: the warm-up, were it counted, would look like a leak', () => {
  const v = judgeMemory(run({ risePerMinute: 0, seed: 1 }), { warmUpSeconds: 0 });
  assert.notEqual(v.verdict, 'flat');
  assert.ok(v.rss !== undefined && v.rss.slope > 1);
});

test('memory trend: a short run leaves out a third of it and says when it cannot judge', () => {
  const short = run({ risePerMinute: 0, seed: 1 }).filter((l) => l.seconds <= 150);
  const v = judgeMemory(short);
  assert.equal(v.warmUpSeconds, 50);
  assert.equal(v.verdict, 'too short to judge');
  assert.match(
    describeMemoryTrend('features', v).join('\n'),
    /a trend needs 4 bins of 2 min after the warm-up/,
  );
});

test('memory trend: the summary lines give the trend, its interval, the warm-up and the last half', () => {
  const [line, lastHalf, ...rest] = describeMemoryTrend(
    'features',
    judgeMemory(run({ risePerMinute: 2, seed: 3 })),
  );
  assert.deepEqual(rest, []);
  assert.match(
    lastHalf ?? '',
    /^ {2}memory features +last half \(from 17\.5 min\): RSS \+\d\.\d\d MB\/min \[95%: [-+]\d\.\d\d, \+\d\.\d\d\]$/,
  );
  assert.match(
    line ?? '',
    /^ {2}memory features +RISING: RSS \+\d\.\d\d MB\/min \[95%: \+\d\.\d\d, \+\d\.\d\d\] against 1 MB\/min, \d+ → \d+ MB over 25\.0 min \(51 samples in 13 bins of 2 min, autocorrelation 0\.\d\d\); heap [-+]\d\.\d\d MB\/min \[95%: [-+]\d\.\d\d, [-+]\d\.\d\d\]; first 5\.0 min left out as warm-up$/,
  );
});

test('slope with interval: autocorrelated residuals widen the interval', () => {
  // A slow wave around a straight line: neighbours share their error.
  const points = Array.from({ length: 60 }, (_, i) => ({ x: i, y: i + 5 * Math.sin(i / 6) }));
  const plain = slopeWithInterval(points);
  const corrected = slopeWithInterval(points, { correctAutocorrelation: true });
  assert.ok(plain !== undefined && corrected !== undefined);
  assert.equal(plain.autocorrelation, 0);
  assert.ok(corrected.autocorrelation > 0.8);
  assert.ok(corrected.high - corrected.low > 3 * (plain.high - plain.low));
  assert.equal(corrected.slope, plain.slope);
  assert.equal(slopeWithInterval(points.slice(0, 2)), undefined);
});

test('memory trend: a cache that fills past the warm-up levels off in the last half; a leak does not', () => {
  let levelled = 0;
  for (const seed of seeds) {
    // 150 MB more over minutes 5 to 10, then flat: the whole trend rises, the last half not.
    const filling = run({ risePerMinute: 0, seed }).map((l) => ({
      ...l,
      rssMb: l.rssMb + Math.min(150, Math.max(0, l.seconds - 300) / 2),
    }));
    const v = judgeMemory(filling);
    assert.notEqual(v.verdict, 'flat', `seed ${seed}: ${JSON.stringify(v.rss)}`);
    assert.ok(v.lastHalf !== undefined);
    assert.ok(v.lastHalf.low < 1, `seed ${seed}: ${JSON.stringify(v.lastHalf)}`);
    levelled += v.lastHalf.low < 0 && v.lastHalf.high > 0 ? 1 : 0;
    const leak = judgeMemory(run({ risePerMinute: 2, seed }));
    assert.ok(leak.lastHalf !== undefined && leak.lastHalf.high > 1);
  }
  assert.ok(levelled >= 34, `0 in ${levelled} of ${seeds.length} last halves`);
});

test('memory trend: a rise that is RocksDB’s own shows in its trend, not in RSS less RocksDB', () => {
  const rocksDbAt = (seconds: number): number => 20 + (2 * seconds) / 60; // +2 MB/min
  const looks = run({ risePerMinute: 2, seed: 3 }).map((look) => ({
    ...look,
    rocksDbMb: rocksDbAt(look.seconds),
  }));
  const v = judgeMemory(looks);
  assert.equal(v.verdict, 'RISING');
  assert.ok(v.rocksDb !== undefined && Math.abs(v.rocksDb.slope - 2) < 0.01);
  assert.ok(
    v.rssLessRocksDb !== undefined && v.rssLessRocksDb.high < 1,
    JSON.stringify(v.rssLessRocksDb),
  );
  assert.match(
    describeMemoryTrend('features', v).join('\n'),
    /of which RocksDB .* \+2\.00 MB\/min.*RSS less RocksDB/,
  );
  // Without it on every look, neither trend is given.
  const partial = judgeMemory(
    looks.map((look, i) =>
      i % 2 === 0 ? look : { seconds: look.seconds, rssMb: look.rssMb, heapMb: look.heapMb },
    ),
  );
  assert.equal(partial.rocksDb, undefined);
  assert.equal(partial.rssLessRocksDb, undefined);
});

test('memory trend: a rise in neither RocksDB, the heap nor Buffers shows as the rest', () => {
  // RSS rises 2 MB/min; RocksDB and the committed heap are flat, Buffers rise 0.5 MB/min.
  const looks = run({ risePerMinute: 2, seed: 5 }).map((look) => ({
    ...look,
    rocksDbMb: 20,
    heapCommittedMb: 120,
    externalMb: 30 + (0.5 * look.seconds) / 60,
  }));
  const v = judgeMemory(looks);
  assert.ok(v.heapCommitted !== undefined && Math.abs(v.heapCommitted.slope) < 0.01);
  assert.ok(v.external !== undefined && Math.abs(v.external.slope - 0.5) < 0.01);
  assert.ok(
    v.unaccounted !== undefined && v.unaccounted.low > 1 && v.unaccounted.high < 2.5,
    JSON.stringify(v.unaccounted),
  );
  assert.match(
    describeMemoryTrend('serving', v).join('\n'),
    /heap as held \+0\.00 MB\/min.*Buffers outside it \+0\.50 MB\/min.*the rest .* \+1\.\d\d MB\/min/,
  );
  // Without the heap's figures on every look, none of the three is given.
  const partial = judgeMemory(
    looks.map(({ seconds, rssMb, heapMb, rocksDbMb, externalMb }): MemoryLook => ({
      seconds,
      rssMb,
      heapMb,
      rocksDbMb,
      externalMb,
    })),
  );
  assert.equal(partial.unaccounted, undefined);
  assert.equal(partial.heapCommitted, undefined);
});

test('a warm-up shorter than the state takes to fill is said, a long enough one is not', () => {
  const looks = run({ risePerMinute: 0, seed: 7 });
  const short = judgeMemory(looks, { warmUpSeconds: 600 });
  assert.match(
    describeStateFilling('features', short, 3_600).join('\n'),
    /features +its windows fill for 60 min from a cold start: a warm-up of 10\.0 min counts their filling in the trend \(--warm-up 3600 leaves it out\)/,
  );
  const long = judgeMemory(looks, { warmUpSeconds: 3_600 });
  assert.deepEqual(describeStateFilling('features', long, 3_600), []);
  assert.deepEqual(describeStateFilling('serving', short, undefined), []);
});
