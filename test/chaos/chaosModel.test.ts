import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ChaosExpectation,
  chaosRowOf,
  LateOutputCheck,
  TableOutputCheck,
  UserOutputCheck,
  windowStartsOf,
  WindowOutputCheck,
  type ChaosGuarantee,
  type ChaosInputEvent,
  type OutputTally,
} from './chaosModel.js';
import { chaosEvents } from './generator.js';

/** A keyed output record as the checks take it. */
interface Out {
  readonly key: string;
  readonly value: string;
}

interface Outputs {
  user: Out[];
  video: Out[];
  late: Out[];
}

/**
 * A reference job: what a correct chaos job writes for `events`, with the (record index, window
 * start) pairs in `late` treated as late.
 */
function correctOutputs(
  events: readonly ChaosInputEvent[],
  late: ReadonlySet<string> = new Set(),
): Outputs {
  const outputs: Outputs = { user: [], video: [], late: [] };
  const users = new Map<string, { count: number; watchedMs: number }>();
  const windows = new Map<string, number>();
  events.forEach((event, index) => {
    const total = users.get(event.userId) ?? { count: 0, watchedMs: 0 };
    total.count++;
    total.watchedMs += event.watchedMs;
    users.set(event.userId, total);
    outputs.user.push({
      key: event.userId,
      value: JSON.stringify({ seq: event.seq, count: total.count, watchedMs: total.watchedMs }),
    });
    for (const start of windowStartsOf(event.eventTime)) {
      const key = `${event.videoId}@${start}`;
      if (late.has(`${index}@${start}`)) {
        outputs.late.push({ key, value: `${event.userId}:${event.seq}` });
        continue;
      }
      const count = (windows.get(key) ?? 0) + 1;
      windows.set(key, count);
      outputs.video.push({ key, value: String(count) });
    }
  });
  return outputs;
}

function check(
  events: readonly ChaosInputEvent[],
  outputs: Outputs,
  guarantee: ChaosGuarantee = 'exactly-once',
): { user: OutputTally; video: OutputTally; late: OutputTally } {
  const expectation = new ChaosExpectation();
  events.forEach((event) => expectation.add(event));
  const late = new LateOutputCheck(expectation);
  outputs.late.forEach((r) => late.observe(r.key, r.value));
  const video = new WindowOutputCheck(expectation);
  outputs.video.forEach((r) => video.observe(r.key, r.value));
  const user = new UserOutputCheck(expectation);
  outputs.user.forEach((r) => user.observe(r.key, r.value));
  return {
    user: user.finish(),
    video: video.finish(late.latePerWindow, guarantee),
    late: late.finish(),
  };
}

function problems(
  tally: OutputTally,
): Omit<OutputTally, 'records' | 'examples' | 'lateReplayWindows'> {
  const { duplicates, lost, wrong, outOfOrder, notConverged } = tally;
  return { duplicates, lost, wrong, outOfOrder, notConverged };
}

const clean = { duplicates: 0, lost: 0, wrong: 0, outOfOrder: 0, notConverged: 0 };
const events = [
  ...chaosEvents({ events: 3_000, seed: 7, users: 50, videos: 20, baseTimeMs: 1_800_000_000_000 }),
];

test('hopping windows: 5 windows of 5 minutes advancing by 1 minute contain each timestamp', () => {
  assert.deepEqual(
    windowStartsOf(1_800_000_123_456),
    [1_800_000_120_000, 1_800_000_060_000, 1_800_000_000_000, 1_799_999_940_000, 1_799_999_880_000],
  );
  assert.deepEqual(windowStartsOf(1_800_000_120_000)[4], 1_799_999_880_000);
  assert.deepEqual(windowStartsOf(90_000), [60_000, 0], 'no window starts before the epoch');
});

test('the generator: per-user seq 1..n, ~3 ms per event, a few late events, reproducible', () => {
  const again = [
    ...chaosEvents({
      events: 3_000,
      seed: 7,
      users: 50,
      videos: 20,
      baseTimeMs: 1_800_000_000_000,
    }),
  ];
  assert.deepEqual(again, events);
  const seqs = new Map<string, number>();
  for (const event of events) {
    assert.equal(event.seq, (seqs.get(event.userId) ?? 0) + 1);
    seqs.set(event.userId, event.seq);
  }
  const big = [...chaosEvents({ events: 100_000, seed: 1, baseTimeMs: 1e12 })];
  const late = big.filter((e, i) => e.eventTime < 1e12 + i * 3 - 15 * 60_000);
  assert.ok(late.length > 20 && late.length < 100, `${late.length} events older than 15 minutes`);
  assert.ok(new Set(big.map((e) => e.userId)).size > 10_000, 'many users');
});

test('a correct job passes every check, late entries included', () => {
  const late = new Set([
    '5@' + String(windowStartsOf(events[5]?.eventTime ?? 0)[2]),
    `40@${windowStartsOf(events[40]?.eventTime ?? 0)[0] ?? 0}`,
  ]);
  const tallies = check(events, correctOutputs(events, late));
  assert.deepEqual(problems(tallies.user), clean);
  assert.deepEqual(problems(tallies.video), clean);
  assert.deepEqual(problems(tallies.late), clean);
  assert.equal(tallies.user.records, events.length);
  assert.equal(tallies.late.records, 2);
});

test('duplicates are counted in every output, and a replay of the same values still converges', () => {
  const outputs = correctOutputs(events);
  const replayedUser = outputs.user.slice(100, 130);
  const replayedVideo = outputs.video.slice(500, 520);
  outputs.user.splice(130, 0, ...replayedUser);
  outputs.video.splice(520, 0, ...replayedVideo);
  const tallies = check(events, outputs);
  assert.equal(tallies.user.duplicates, 30);
  assert.equal(tallies.video.duplicates, 20);
  assert.deepEqual(
    { ...problems(tallies.user), duplicates: 0 },
    clean,
    'a replay (at-least-once) keeps the last values right',
  );
  assert.equal(tallies.video.lost + tallies.video.wrong + tallies.video.notConverged, 0);
});

test('lost records, wrong values and reordering are each caught', () => {
  const outputs = correctOutputs(events);
  const lostUser = outputs.user.splice(10, 1)[0];
  outputs.video.splice(7, 1);
  const wrong = outputs.user[20];
  assert.ok(wrong !== undefined && lostUser !== undefined);
  outputs.user[20] = { key: wrong.key, value: wrong.value.replace('"count":', '"count":1') };
  const tallies = check(events, outputs);
  assert.equal(tallies.user.lost, 1);
  assert.equal(tallies.user.wrong, 1);
  assert.equal(tallies.video.lost, 1);
  assert.match(
    tallies.user.examples.lost.join('\n'),
    new RegExp(`user ${lostUser.key}: no output`),
  );

  const swapped = correctOutputs(events);
  const userRecords = swapped.user.filter((r) => r.key === events[0]?.userId);
  const [first, second] = [
    swapped.user.indexOf(userRecords[0] as Out),
    swapped.user.indexOf(userRecords[1] as Out),
  ];
  [swapped.user[first], swapped.user[second]] = [userRecords[1] as Out, userRecords[0] as Out];
  assert.equal(check(events, swapped).user.outOfOrder, 1);
});

test('a record both counted and reported late over-counts its window', () => {
  const start = windowStartsOf(events[3]?.eventTime ?? 0)[1] ?? 0;
  const outputs = correctOutputs(events);
  const late = correctOutputs(events, new Set([`3@${start}`])).late;
  const tallies = check(events, { ...outputs, late });
  assert.equal(tallies.video.wrong, 1, 'the count above m');
  assert.equal(tallies.video.notConverged, 1);
  assert.deepEqual(problems(tallies.late), clean);
});

test('under at-least-once, a record counted then replayed late converges, and is tallied', () => {
  const start = windowStartsOf(events[3]?.eventTime ?? 0)[1] ?? 0;
  const outputs = correctOutputs(events);
  const late = correctOutputs(events, new Set([`3@${start}`])).late;
  const tallies = check(events, { ...outputs, late }, 'at-least-once');
  assert.deepEqual(problems(tallies.video), clean);
  assert.equal(tallies.video.lateReplayWindows, 1);
});

test('under at-least-once, a window counted past its events or missing a count still fails', () => {
  const start = windowStartsOf(events[3]?.eventTime ?? 0)[1] ?? 0;
  const key = `${events[3]?.videoId ?? ''}@${start}`;
  const outputs = correctOutputs(events);
  const late = correctOutputs(events, new Set([`3@${start}`])).late;
  const counts = outputs.video.filter((r) => r.key === key).map((r) => Number(r.value));
  const highest = Math.max(...counts);
  // One more than the window's events: a record counted twice on top of everything.
  outputs.video.push({ key, value: String(highest + 1) });
  const overCounted = check(events, { ...outputs, late }, 'at-least-once');
  assert.ok(overCounted.video.wrong >= 1, "a count above the window's events is wrong");
  assert.equal(overCounted.video.lateReplayWindows, 0);
  assert.equal(overCounted.video.notConverged, 1);

  const gap = correctOutputs(events);
  const first = gap.video.findIndex((r) => r.key === key && r.value === '1');
  gap.video.splice(first, 1);
  assert.equal(check(events, { ...gap, late }, 'at-least-once').video.lost, 1);
});

test('late entries that repeat, or name no (record, window) pair, are caught', () => {
  const start = windowStartsOf(events[3]?.eventTime ?? 0)[1] ?? 0;
  const outputs = correctOutputs(events, new Set([`3@${start}`]));
  const entry = outputs.late[0];
  assert.ok(entry !== undefined);
  outputs.late.push(entry, { key: entry.key, value: 'usr_nobody:1' });
  outputs.late.push({
    key: `${events[3]?.videoId ?? ''}@${start + 3_600_000}`,
    value: entry.value,
  });
  const tallies = check(events, outputs);
  assert.equal(tallies.late.duplicates, 1);
  assert.equal(tallies.late.wrong, 2);
});

test('a double-counted state (replay on top of restored counts) does not converge', () => {
  const outputs = correctOutputs(events);
  const userId = events[0]?.userId ?? '';
  const lastIndex = outputs.user.map((r) => r.key).lastIndexOf(userId);
  const last = outputs.user[lastIndex];
  assert.ok(last !== undefined);
  const total = JSON.parse(last.value) as { seq: number; count: number; watchedMs: number };
  outputs.user.push({ key: userId, value: JSON.stringify({ ...total, count: total.count + 1 }) });
  const tallies = check(events, outputs);
  assert.equal(tallies.user.duplicates, 1);
  assert.equal(tallies.user.wrong, 1);
  assert.equal(tallies.user.notConverged, 1);
});

/**
 * A reference table re-aggregation: each event replaces (or deletes) its user's row; the old row
 * leaves its category and the new one joins its own, in one change when both are the same; each
 * change the group receives writes `{"count","last"}` once.
 */
function categoryOutputs(input: readonly ChaosInputEvent[]): Out[] {
  const rows = new Map<string, { category: string; seq: number }>();
  const counts = new Map<string, number>();
  const out: Out[] = [];
  const emit = (category: string, delta: number, last: string): void => {
    const count = (counts.get(category) ?? 0) + delta;
    counts.set(category, count);
    out.push({ key: category, value: JSON.stringify({ count, last }) });
  };
  for (const event of input) {
    const row = chaosRowOf(event);
    const old = rows.get(event.userId);
    const category = row?.slice(0, row.lastIndexOf(':'));
    if (old !== undefined && old.category !== category) {
      emit(old.category, -1, `-${event.userId}:${old.seq}`);
    }
    if (category === undefined) {
      rows.delete(event.userId);
      continue;
    }
    emit(category, old?.category === category ? 0 : 1, `+${event.userId}:${event.seq}`);
    rows.set(event.userId, { category, seq: event.seq });
  }
  return out;
}

function checkCategories(input: readonly ChaosInputEvent[], outputs: readonly Out[]): OutputTally {
  const expectation = new ChaosExpectation();
  input.forEach((event) => expectation.add(event));
  const check = new TableOutputCheck(expectation);
  outputs.forEach((r) => check.observe(r.key, r.value));
  return check.finish();
}

test('table re-aggregation: the rows move, stay, vanish and come back; a correct job passes', () => {
  const rows = events.map(chaosRowOf);
  const deletes = rows.filter((row) => row === null).length;
  assert.ok(deletes > 200 && deletes < 400, `${deletes} deletes in 3,000 events`);
  const outputs = categoryOutputs(events);
  const values = outputs.map((r) => JSON.parse(r.value) as { count: number; last: string });
  assert.ok(
    values.some((v) => v.last.startsWith('-')),
    'rows leave groups',
  );
  const expectation = new ChaosExpectation();
  events.forEach((event) => expectation.add(event));
  assert.ok(expectation.groupIds.length >= 8, `${expectation.groupIds.length} groups`);
  assert.deepEqual(
    expectation.groupChanges.reduce((a, b) => a + b, 0),
    outputs.length,
    'one output per change a group receives',
  );
  const tally = checkCategories(events, outputs);
  assert.deepEqual(problems(tally), clean);
  assert.equal(tally.records, outputs.length);
  // Groups interleave in any order on the topic: only each group's own order matters.
  const byGroup = [...outputs].sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual(problems(checkCategories(events, byGroup)), clean);
});

test('table re-aggregation: duplicates, losses, double counts, reordering and strangers are caught', () => {
  const outputs = categoryOutputs(events);
  const duplicated = [...outputs];
  duplicated.splice(501, 0, outputs[500] as Out);
  const dup = checkCategories(events, duplicated);
  assert.equal(dup.duplicates, 1);
  assert.equal(dup.lost + dup.wrong + dup.notConverged, 0, 'a replayed output changes nothing');

  const lost = [...outputs];
  const [gone] = lost.splice(700, 1);
  const lostTally = checkCategories(events, lost);
  assert.equal(lostTally.lost, 1);
  const goneLast = (JSON.parse(gone?.value ?? '{}') as { last: string }).last;
  assert.ok(
    lostTally.examples.lost.some((example) => example.includes(goneLast)),
    lostTally.examples.lost.join(', '),
  );

  // A change applied twice to the state: every later count of that group is one too high.
  const key = outputs[900]?.key ?? '';
  const doubled = outputs.map((r, i) => {
    if (i < 900 || r.key !== key) {
      return r;
    }
    const value = JSON.parse(r.value) as { count: number; last: string };
    return { key, value: JSON.stringify({ ...value, count: value.count + 1 }) };
  });
  const doubledTally = checkCategories(events, doubled);
  assert.equal(doubledTally.wrong, 1, 'the step where the count jumped');
  assert.equal(doubledTally.notConverged, 1);

  // Two changes of one user to one group, swapped.
  const first = outputs.findIndex((r) => r.value.includes(`${events[0]?.userId ?? ''}:`));
  const firstLast = (JSON.parse(outputs[first]?.value ?? '{}') as { last: string }).last;
  const user = firstLast.slice(1, firstLast.lastIndexOf(':'));
  const sameGroup = outputs.findIndex(
    (r, i) => i > first && r.key === outputs[first]?.key && r.value.includes(`${user}:`),
  );
  assert.ok(sameGroup > first);
  const swapped = [...outputs];
  [swapped[first], swapped[sameGroup]] = [outputs[sameGroup] as Out, outputs[first] as Out];
  assert.ok(checkCategories(events, swapped).outOfOrder >= 1);

  const strangers = [
    ...outputs,
    { key: 'cat_99', value: JSON.stringify({ count: 1, last: `+${user}:1` }) },
    { key: outputs[0]?.key ?? '', value: JSON.stringify({ count: 1, last: '+usr_nobody:1' }) },
    { key: outputs[0]?.key ?? '', value: 'not json' },
  ];
  assert.equal(checkCategories(events, strangers).wrong, 3);
});
