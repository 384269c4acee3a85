/**
 * The batch side of the kill -9 harness: what the chaos job must have written, computed from its
 * input topic record by record, and the checks that hold each output topic against it. Pure (no
 * Kafka), so `verifier.test.ts` proves every check catches what it claims to.
 *
 * Output contract of `chaosJob.ts` (see README.md):
 * - video output: key `<videoId>@<windowStartMs>`, value the window's new count, once per update
 *   of a hopping window (size 5 min, advance 1 min, grace 10 min): per window exactly 1, 2, …, m.
 * - user output: key userId, value `{"seq":s,"count":c,"watchedMs":w}`, once per input record.
 * - late output: key `<videoId>@<windowStartMs>`, value `<userId>:<seq>`, once per (record,
 *   window) pair whose window had closed when the record arrived; m = events − late entries.
 * - rows topic: key userId, value `<category>:<seq>` ({@link chaosRowOf}), or a tombstone for an
 *   event that deletes its user's row; the job reads it back as a table (latest row per user).
 * - category output (the table re-aggregation): the rows table grouped by category and
 *   aggregated with an adder and a subtractor; key the category, value
 *   `{"count":c,"last":"±<userId>:<seq>"}`, once per change the group receives: `+u:s` when row
 *   (u, s) joined it (alone, or in one step with the user's previous row leaving it, when both
 *   are in the same category), `-u:s` when row (u, s) left it for another category or a
 *   delete. Each such change comes once, so each `last` identifies one output.
 */

/** The job's hopping windows. */
export const chaosWindow = { sizeMs: 300_000, advanceMs: 60_000, graceMs: 600_000 } as const;

/** Start times of the hopping windows that contain `timestampMs` (5 of them, or fewer near 0). */
export function windowStartsOf(timestampMs: number): number[] {
  const { sizeMs, advanceMs } = chaosWindow;
  const starts: number[] = [];
  const newest = timestampMs - (((timestampMs % advanceMs) + advanceMs) % advanceMs);
  for (let start = newest; start > timestampMs - sizeMs && start >= 0; start -= advanceMs) {
    starts.push(start);
  }
  return starts;
}

/** Categories of the re-aggregated table: a row's category is a hash of its videoId modulo this. */
export const chaosCategories = 16;

/** The category of a video: `cat_00` … `cat_15`, by a hash of the id. */
export function chaosCategoryOf(videoId: string): string {
  let hash = 0;
  for (let i = 0; i < videoId.length; i++) {
    hash = (Math.imul(hash, 31) + videoId.charCodeAt(i)) >>> 0;
  }
  return `cat_${String(hash % chaosCategories).padStart(2, '0')}`;
}

/**
 * What an event makes of its user's row in the re-aggregated table: `<category>:<seq>` (the
 * category of the video watched), or null (a tombstone: the row is deleted) for the 10% of events
 * whose watchedMs is a multiple of 10. Every event replaces its user's row, so rows move between
 * categories, stay in one (a change within the group), vanish and come back.
 */
export function chaosRowOf(event: {
  readonly videoId: string;
  readonly seq: number;
  readonly watchedMs: number;
}): string | null {
  return event.watchedMs % 10 === 0 ? null : `${chaosCategoryOf(event.videoId)}:${event.seq}`;
}

/** A category-output value as the job writes it. */
export interface CategoryCount {
  readonly count: number;
  /** `+<userId>:<seq>` or `-<userId>:<seq>`: the change this output applied last. */
  readonly last: string;
}

/** One input event, decoded. */
export interface ChaosInputEvent {
  readonly userId: string;
  readonly videoId: string;
  readonly seq: number;
  readonly watchedMs: number;
  readonly eventTime: number;
}

/** A user-output value as the job writes it. */
export interface UserTotal {
  readonly seq: number;
  readonly count: number;
  readonly watchedMs: number;
}

/** Problems of one output topic, by kind, with the first few examples. */
export interface OutputTally {
  /** Records read (read_committed). */
  records: number;
  /** Records that repeat one already read: same (user, seq), or same (window, count). */
  duplicates: number;
  /** Expected records never read. */
  lost: number;
  /** Records whose key or value matches no expected record, or whose value is not the expected one. */
  wrong: number;
  /** First reads that come after the read of a later record of their key (seq order, count order). */
  outOfOrder: number;
  /** Keys whose final value differs from the batch result: last user total, highest window count. */
  notConverged: number;
  /**
   * At-least-once only: windows whose final count lies above (events − late entries), by records
   * the late output also names. A record counted, then replayed after its window had closed,
   * goes to the late output as well; the verifier cannot tell which late entries those are, so
   * it accepts any final count between (events − late entries) and events, and says how often.
   */
  lateReplayWindows: number;
  /** The first few examples of each kind of problem. */
  readonly examples: Record<ProblemKind, string[]>;
}

/** The guarantee a chaos run checks against. */
export type ChaosGuarantee = 'exactly-once' | 'at-least-once';

/** The kinds of problem an output can have. */
export const problemKinds = ['duplicates', 'lost', 'wrong', 'outOfOrder', 'notConverged'] as const;
export type ProblemKind = (typeof problemKinds)[number];

const examplesPerKind = 3;

function emptyTally(): OutputTally {
  return {
    records: 0,
    duplicates: 0,
    lost: 0,
    wrong: 0,
    outOfOrder: 0,
    notConverged: 0,
    lateReplayWindows: 0,
    examples: { duplicates: [], lost: [], wrong: [], outOfOrder: [], notConverged: [] },
  };
}

/**
 * Counts one problem. The example is built only while fewer than a few of its kind are kept: a
 * broken job can produce millions of problems.
 */
function problem(tally: OutputTally, kind: ProblemKind, example: () => string): void {
  tally[kind]++;
  const examples = tally.examples[kind];
  if (examples.length < examplesPerKind) {
    examples.push(example());
  }
}

// A window as one number: video index × 2^26 + start / advance. 2^26 minutes reach the year 2097,
// and the product stays exact below 2^53 for up to 2^27 videos.
const windowSlots = 2 ** 26;

/**
 * The input topic as read back, with everything the checks need: per user, the records in
 * partition order with their running count and watched total; per window, how many records fall
 * in it.
 */
export class ChaosExpectation {
  private readonly userIndex = new Map<string, number>();
  private readonly videoIndex = new Map<string, number>();
  readonly userIds: string[] = [];
  readonly videoIds: string[] = [];
  /** Per user, its record indices in input order. */
  readonly userRecords: number[][] = [];
  // Per record (struct of arrays: 2M objects would cost several times the memory).
  private readonly recordUser: number[] = [];
  private readonly recordVideo: number[] = [];
  private readonly recordSeq: number[] = [];
  private readonly recordTime: number[] = [];
  /** Position of the record among its user's records (0-based): its expected count is this + 1. */
  private readonly recordPosition: number[] = [];
  /** Sum of watchedMs over the user's records up to and including this one. */
  private readonly recordRunningWatched: number[] = [];
  private readonly userWatched: number[] = [];
  /** Users whose records are not seq 1, 2, 3, … in input order (a generator or produce problem). */
  private readonly usersOutOfSeq = new Set<number>();
  /** Window key → window id; window ids index the arrays below. */
  private readonly windowIds = new Map<number, number>();
  readonly windowEvents: number[] = [];
  private readonly windowKeys: number[] = [];
  /** Category → group id; group ids index the arrays below. */
  private readonly groupIndex = new Map<string, number>();
  readonly groupIds: string[] = [];
  /** Per group, its final count: users whose last event left a row in that category. */
  readonly groupFinal: number[] = [];
  /** Per group, how many outputs it must have (one per change it receives). */
  readonly groupChanges: number[] = [];
  /** Per user, the record whose row the table holds, or -1 (no row: none yet, or deleted). */
  private readonly userRow: number[] = [];
  /** Per record: the group its row joins (`+u:s`, -1: none) and by how much the count moves. */
  private readonly recordJoinGroup: number[] = [];
  private readonly recordJoinDelta: number[] = [];
  /** Per record: the group its row leaves (`-u:s`, -1: none, or left within its group). */
  private readonly recordLeaveGroup: number[] = [];

  get records(): number {
    return this.recordUser.length;
  }

  get windows(): number {
    return this.windowEvents.length;
  }

  /** Users whose input is not seq 1..n in partition order; the harness reports it. */
  get inputSeqViolations(): number {
    return this.usersOutOfSeq.size;
  }

  /** Adds the next input record; call in partition order (any interleaving of partitions). */
  add(event: ChaosInputEvent): void {
    const record = this.recordUser.length;
    const user = this.indexOf(this.userIndex, this.userIds, event.userId);
    const video = this.indexOf(this.videoIndex, this.videoIds, event.videoId);
    const records = (this.userRecords[user] ??= []);
    const running = (this.userWatched[user] ?? 0) + event.watchedMs;
    this.userWatched[user] = running;
    if (event.seq !== records.length + 1) {
      this.usersOutOfSeq.add(user);
    }
    this.recordPosition.push(records.length);
    records.push(record);
    this.recordUser.push(user);
    this.recordVideo.push(video);
    this.recordSeq.push(event.seq);
    this.recordTime.push(event.eventTime);
    this.recordRunningWatched.push(running);
    this.addRow(user, record, chaosRowOf(event));
    for (const start of windowStartsOf(event.eventTime)) {
      const key = video * windowSlots + start / chaosWindow.advanceMs;
      let id = this.windowIds.get(key);
      if (id === undefined) {
        id = this.windowEvents.length;
        this.windowIds.set(key, id);
        this.windowEvents.push(0);
        this.windowKeys.push(key);
      }
      this.windowEvents[id] = (this.windowEvents[id] ?? 0) + 1;
    }
  }

  /**
   * The table's change for `record` (the user's new row, or its deletion), as the job's groupBy
   * splits it: the old row leaves its group unless the new one joins the same group (then one
   * change, count unchanged); a delete of no row changes nothing.
   */
  private addRow(user: number, record: number, row: string | null): void {
    const previous = this.userRow[user] ?? -1;
    const oldGroup = previous < 0 ? -1 : (this.recordJoinGroup[previous] ?? -1);
    const newGroup =
      row === null
        ? -1
        : this.indexOf(this.groupIndex, this.groupIds, row.slice(0, row.lastIndexOf(':')));
    this.recordJoinGroup.push(newGroup);
    this.recordJoinDelta.push(newGroup >= 0 && newGroup === oldGroup ? 0 : 1);
    this.recordLeaveGroup.push(-1);
    this.userRow[user] = newGroup < 0 ? -1 : record;
    if (oldGroup >= 0 && oldGroup !== newGroup) {
      this.recordLeaveGroup[previous] = oldGroup;
      this.groupFinal[oldGroup] = (this.groupFinal[oldGroup] ?? 0) - 1;
      this.groupChanges[oldGroup] = (this.groupChanges[oldGroup] ?? 0) + 1;
    }
    if (newGroup >= 0) {
      this.groupChanges[newGroup] = (this.groupChanges[newGroup] ?? 0) + 1;
      if (newGroup !== oldGroup) {
        this.groupFinal[newGroup] = (this.groupFinal[newGroup] ?? 0) + 1;
      }
    }
  }

  /** Group id of a category, or undefined when no row of the input is in it. */
  group(category: string): number | undefined {
    return this.groupIndex.get(category);
  }

  /** The group `record`'s row joins (-1: it is a delete) and by how much that moves the count. */
  joinOf(record: number): { group: number; delta: number } {
    return { group: this.recordJoinGroup[record] ?? -1, delta: this.recordJoinDelta[record] ?? 0 };
  }

  /** The group `record`'s row leaves for another group or a delete, or -1. */
  leaveOf(record: number): number {
    return this.recordLeaveGroup[record] ?? -1;
  }

  private indexOf(index: Map<string, number>, ids: string[], id: string): number {
    let found = index.get(id);
    if (found === undefined) {
      found = ids.length;
      index.set(id, found);
      ids.push(id);
    }
    return found;
  }

  user(userId: string): number | undefined {
    return this.userIndex.get(userId);
  }

  /** The record of `user` with `seq`: the seq-th in input order when the input is in seq order. */
  recordOf(user: number, seq: number): number | undefined {
    const records = this.userRecords[user] ?? [];
    const guess = records[seq - 1];
    if (guess !== undefined && this.recordSeq[guess] === seq) {
      return guess;
    }
    return records.find((record) => this.recordSeq[record] === seq);
  }

  /** The user output expected for `record`. */
  expectedTotal(record: number): UserTotal {
    return {
      seq: this.recordSeq[record] ?? NaN,
      count: (this.recordPosition[record] ?? NaN) + 1,
      watchedMs: this.recordRunningWatched[record] ?? NaN,
    };
  }

  userOf(record: number): number {
    return this.recordUser[record] ?? -1;
  }

  position(record: number): number {
    return this.recordPosition[record] ?? -1;
  }

  /** The user output expected last for `user`: its final totals. */
  finalTotal(user: number): UserTotal | undefined {
    const records = this.userRecords[user] ?? [];
    const last = records[records.length - 1];
    return last === undefined ? undefined : this.expectedTotal(last);
  }

  /** The window id of `<videoId>@<startMs>`, or undefined when no input record falls in it. */
  windowOf(videoId: string, startMs: number): number | undefined {
    const video = this.videoIndex.get(videoId);
    if (video === undefined || startMs % chaosWindow.advanceMs !== 0) {
      return undefined;
    }
    return this.windowIds.get(video * windowSlots + startMs / chaosWindow.advanceMs);
  }

  /** `<videoId>@<windowStartMs>` of a window id, as the job keys it. */
  windowLabel(window: number): string {
    const key = this.windowKeys[window] ?? 0;
    const video = Math.floor(key / windowSlots);
    return `${this.videoIds[video] ?? '?'}@${(key - video * windowSlots) * chaosWindow.advanceMs}`;
  }

  /** Whether `record` belongs to `window` (same video, event time inside it). */
  recordInWindow(record: number, window: { videoId: string; startMs: number }): boolean {
    const video = this.recordVideo[record];
    const time = this.recordTime[record];
    return (
      video !== undefined &&
      time !== undefined &&
      this.videoIds[video] === window.videoId &&
      window.startMs <= time &&
      time < window.startMs + chaosWindow.sizeMs
    );
  }
}

/** Splits `<videoId>@<windowStartMs>`; undefined when the key is not of that shape. */
export function parseWindowKey(key: string): { videoId: string; startMs: number } | undefined {
  const at = key.lastIndexOf('@');
  const startMs = Number(key.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(startMs)) {
    return undefined;
  }
  return { videoId: key.slice(0, at), startMs };
}

/** Parses `{"seq":s,"count":c,"watchedMs":w}`; undefined when it is anything else. */
export function parseUserTotal(value: string): UserTotal | undefined {
  const parsed = parseJsonObject(value);
  if (parsed === undefined) {
    return undefined;
  }
  const { seq, count, watchedMs } = parsed;
  if (typeof seq !== 'number' || typeof count !== 'number' || typeof watchedMs !== 'number') {
    return undefined;
  }
  return { seq, count, watchedMs };
}

function sameTotal(a: UserTotal, b: UserTotal): boolean {
  return a.seq === b.seq && a.count === b.count && a.watchedMs === b.watchedMs;
}

function formatTotal(total: UserTotal): string {
  return `seq ${total.seq} count ${total.count} watchedMs ${total.watchedMs}`;
}

/**
 * Holds the user output against the input: every input record must show up once, in seq order,
 * with count = its position in the user's input + 1 and watchedMs = the running sum.
 */
export class UserOutputCheck {
  private readonly expectation: ChaosExpectation;
  private readonly tally = emptyTally();
  /** Reads per input record, saturating at 255. */
  private readonly reads: Uint8Array;
  /** Per user, the highest input position whose output was read. */
  private readonly highestPosition: Int32Array;
  private readonly lastRead: (UserTotal | undefined)[] = [];

  constructor(expectation: ChaosExpectation) {
    this.expectation = expectation;
    this.reads = new Uint8Array(expectation.records);
    this.highestPosition = new Int32Array(expectation.userIds.length).fill(-1);
  }

  observe(key: string, value: string): void {
    const tally = this.tally;
    tally.records++;
    const user = this.expectation.user(key);
    const total = parseUserTotal(value);
    if (user === undefined || total === undefined) {
      problem(tally, 'wrong', () => `unexpected user output ${key} = ${value}`);
      return;
    }
    this.lastRead[user] = total;
    const record = this.expectation.recordOf(user, total.seq);
    if (record === undefined) {
      problem(
        tally,
        'wrong',
        () => `user ${key}: output for seq ${total.seq}, which is not in the input`,
      );
      return;
    }
    const reads = this.reads[record] ?? 0;
    this.reads[record] = Math.min(255, reads + 1);
    const expected = this.expectation.expectedTotal(record);
    if (!sameTotal(total, expected)) {
      problem(
        tally,
        'wrong',
        () => `user ${key}: read ${formatTotal(total)}, expected ${formatTotal(expected)}`,
      );
    }
    if (reads > 0) {
      problem(
        tally,
        'duplicates',
        () => `user ${key}: seq ${total.seq} read again (read ${reads + 1} times so far)`,
      );
      return;
    }
    // Out of order: read after the output of a later record of the same user. A gap is not
    // reordering; the missing record counts as lost in finish().
    const position = this.expectation.position(record);
    const highest = this.highestPosition[user] ?? -1;
    if (position < highest) {
      problem(
        tally,
        'outOfOrder',
        () => `user ${key}: seq ${total.seq} read after the output of a later seq`,
      );
    }
    this.highestPosition[user] = Math.max(highest, position);
  }

  /** Counts what was never read and which users did not end on their final totals. */
  finish(): OutputTally {
    const tally = this.tally;
    for (let record = 0; record < this.reads.length; record++) {
      if (this.reads[record] === 0) {
        problem(tally, 'lost', () => {
          const user = this.expectation.userIds[this.expectation.userOf(record)] ?? '?';
          return `user ${user}: no output for seq ${this.expectation.expectedTotal(record).seq}`;
        });
      }
    }
    for (let user = 0; user < this.expectation.userIds.length; user++) {
      const expected = this.expectation.finalTotal(user);
      const last = this.lastRead[user];
      if (expected !== undefined && (last === undefined || !sameTotal(last, expected))) {
        problem(
          tally,
          'notConverged',
          () =>
            `user ${this.expectation.userIds[user] ?? '?'}: last read ` +
            `${last === undefined ? 'nothing' : formatTotal(last)}, expected ${formatTotal(expected)}`,
        );
      }
    }
    return tally;
  }
}

/**
 * Holds the late output against the input: each entry names a (record, window) pair that exists,
 * and no pair comes twice. The distinct entries per window lower that window's expected count.
 */
export class LateOutputCheck {
  private readonly expectation: ChaosExpectation;
  private readonly tally = emptyTally();
  private readonly seen = new Set<string>();
  /** Distinct valid late entries per window id. */
  readonly latePerWindow = new Map<number, number>();

  constructor(expectation: ChaosExpectation) {
    this.expectation = expectation;
  }

  observe(key: string, value: string): void {
    const tally = this.tally;
    tally.records++;
    const window = parseWindowKey(key);
    const colon = value.lastIndexOf(':');
    const user = this.expectation.user(value.slice(0, colon));
    const seq = Number(value.slice(colon + 1));
    const record = user === undefined ? undefined : this.expectation.recordOf(user, seq);
    const windowId =
      window === undefined ? undefined : this.expectation.windowOf(window.videoId, window.startMs);
    if (
      window === undefined ||
      windowId === undefined ||
      record === undefined ||
      !this.expectation.recordInWindow(record, window)
    ) {
      problem(
        tally,
        'wrong',
        () => `late entry ${key} = ${value} names no (record, window) pair of the input`,
      );
      return;
    }
    const pair = `${record}@${window.startMs}`;
    if (this.seen.has(pair)) {
      problem(tally, 'duplicates', () => `late entry ${key} = ${value} read again`);
      return;
    }
    this.seen.add(pair);
    this.latePerWindow.set(windowId, (this.latePerWindow.get(windowId) ?? 0) + 1);
  }

  finish(): OutputTally {
    return this.tally;
  }
}

/**
 * Holds the video output against the input: per window, the counts read are exactly 1..m once
 * each and in that order, where m = the window's input records − its late entries.
 */
export class WindowOutputCheck {
  private readonly expectation: ChaosExpectation;
  private readonly tally = emptyTally();
  /** Where each window's read counters start in {@link reads}: one byte per possible count. */
  private readonly offsets: Float64Array;
  private readonly reads: Uint8Array;
  /** Per window, the highest count read so far, duplicates left out. */
  private readonly highestFirstRead: Int32Array;
  private readonly highest: Int32Array;

  constructor(expectation: ChaosExpectation) {
    this.expectation = expectation;
    const windows = expectation.windows;
    this.offsets = new Float64Array(windows + 1);
    for (let window = 0; window < windows; window++) {
      this.offsets[window + 1] =
        (this.offsets[window] ?? 0) + (expectation.windowEvents[window] ?? 0);
    }
    this.reads = new Uint8Array(this.offsets[windows] ?? 0);
    this.highestFirstRead = new Int32Array(windows);
    this.highest = new Int32Array(windows);
  }

  observe(key: string, value: string): void {
    const tally = this.tally;
    tally.records++;
    const window = parseWindowKey(key);
    const windowId =
      window === undefined ? undefined : this.expectation.windowOf(window.videoId, window.startMs);
    const count = Number(value);
    const events = windowId === undefined ? 0 : (this.expectation.windowEvents[windowId] ?? 0);
    if (windowId === undefined || !Number.isSafeInteger(count) || count < 1 || count > events) {
      problem(
        tally,
        'wrong',
        () => `video output ${key} = ${value} matches no window count of the input`,
      );
      if (windowId !== undefined && count > events) {
        // More than the window's events: counted twice somewhere; it cannot converge.
        this.highest[windowId] = Math.max(this.highest[windowId] ?? 0, count);
      }
      return;
    }
    const slot = (this.offsets[windowId] ?? 0) + count - 1;
    const reads = this.reads[slot] ?? 0;
    this.reads[slot] = Math.min(255, reads + 1);
    this.highest[windowId] = Math.max(this.highest[windowId] ?? 0, count);
    if (reads > 0) {
      problem(tally, 'duplicates', () => `window ${key}: count ${count} read again`);
      return;
    }
    // Out of order: read after a higher count of the same window (a gap is lost, not reordered).
    const highestFirst = this.highestFirstRead[windowId] ?? 0;
    if (count < highestFirst) {
      problem(
        tally,
        'outOfOrder',
        () => `window ${key}: count ${count} read after count ${highestFirst}`,
      );
    }
    this.highestFirstRead[windowId] = Math.max(highestFirst, count);
  }

  /**
   * Counts the missing counts (1..m never read), the counts above m (counted although late, or
   * counted twice into the state), and windows whose highest count is not m.
   *
   * Under at-least-once a record can be counted, then replayed after a crash when its window has
   * closed: it goes to the late output too, so m understates what the window legitimately
   * holds. There a window converges when its highest count h lies in [m, events] and 1..h were
   * all read; such windows with h > m are tallied in `lateReplayWindows`. A window without late
   * entries must still reach exactly its number of events.
   */
  finish(latePerWindow: ReadonlyMap<number, number>, guarantee: ChaosGuarantee): OutputTally {
    const tally = this.tally;
    for (let window = 0; window < this.expectation.windows; window++) {
      const events = this.expectation.windowEvents[window] ?? 0;
      const strict = events - (latePerWindow.get(window) ?? 0);
      const highest = this.highest[window] ?? 0;
      const replaysAllowed = guarantee === 'at-least-once' && highest > strict && highest <= events;
      const expected = replaysAllowed ? highest : strict;
      if (replaysAllowed) {
        tally.lateReplayWindows++;
      }
      const offset = this.offsets[window] ?? 0;
      const label = (): string => this.expectation.windowLabel(window);
      for (let count = 1; count <= events; count++) {
        const read = (this.reads[offset + count - 1] ?? 0) > 0;
        if (count <= expected && !read) {
          problem(
            tally,
            'lost',
            () => `window ${label()}: count ${count} of ${expected} never read`,
          );
        } else if (count > expected && read) {
          problem(
            tally,
            'wrong',
            () => `window ${label()}: count ${count} read, but only ${expected} records count`,
          );
        }
      }
      if (highest !== expected) {
        problem(
          tally,
          'notConverged',
          () => `window ${label()}: highest count ${highest}, expected ${expected}`,
        );
      }
    }
    return tally;
  }
}

/** Parses `{"count":c,"last":"±u:s"}`; undefined when it is anything else. */
export function parseCategoryCount(value: string): CategoryCount | undefined {
  const parsed = parseJsonObject(value);
  if (parsed === undefined) {
    return undefined;
  }
  const { count, last } = parsed;
  if (typeof count !== 'number' || typeof last !== 'string') {
    return undefined;
  }
  return { count, last };
}

/**
 * Holds the category output (the table re-aggregation) against the input. Per group, every
 * change it must receive (`+u:s`: row joined; `-u:s`: row left) is read exactly once; read in
 * order, each output's count is the previous output's count plus that change's effect (+1 for a
 * row that joins, −1 for one that leaves, 0 for a row replaced within the group), so a change
 * applied twice or skipped by the state shows as a wrong count even where its output is there;
 * one user's changes come in that user's order; and each group's last count is the number of
 * users whose final row is in it (a group emptied keeps its aggregate: count 0).
 */
export class TableOutputCheck {
  private readonly expectation: ChaosExpectation;
  private readonly tally = emptyTally();
  /** Reads of each record's join (`+`) and leave (`-`) change, saturating at 255. */
  private readonly joinReads: Uint8Array;
  private readonly leaveReads: Uint8Array;
  /** Per group, the count of the last output read (duplicates included). */
  private readonly lastCount = new Map<number, number>();
  /** Per (group, user): the highest position, in the user's input, of a change read. */
  private readonly highestCause = new Map<string, number>();

  constructor(expectation: ChaosExpectation) {
    this.expectation = expectation;
    this.joinReads = new Uint8Array(expectation.records);
    this.leaveReads = new Uint8Array(expectation.records);
  }

  observe(key: string, value: string): void {
    const tally = this.tally;
    tally.records++;
    const group = this.expectation.group(key);
    const output = parseCategoryCount(value);
    const sign = output?.last.charAt(0);
    const body = output?.last.slice(1) ?? '';
    const colon = body.lastIndexOf(':');
    const user = this.expectation.user(body.slice(0, colon));
    const seq = Number(body.slice(colon + 1));
    const record = user === undefined ? undefined : this.expectation.recordOf(user, seq);
    const expectedGroup =
      record === undefined
        ? undefined
        : sign === '+'
          ? this.expectation.joinOf(record).group
          : sign === '-'
            ? this.expectation.leaveOf(record)
            : undefined;
    if (
      group === undefined ||
      output === undefined ||
      user === undefined ||
      record === undefined ||
      expectedGroup !== group
    ) {
      problem(
        tally,
        'wrong',
        () => `category output ${key} = ${value} names no change of that group in the input`,
      );
      return;
    }
    const reads = sign === '+' ? this.joinReads : this.leaveReads;
    const times = reads[record] ?? 0;
    reads[record] = Math.min(255, times + 1);
    const previous = this.lastCount.get(group) ?? 0;
    this.lastCount.set(group, output.count);
    if (times > 0) {
      problem(
        tally,
        'duplicates',
        () => `category ${key}: change ${output.last} read again (read ${times + 1} times so far)`,
      );
      return;
    }
    const delta = sign === '+' ? this.expectation.joinOf(record).delta : -1;
    if (output.count !== previous + delta) {
      problem(
        tally,
        'wrong',
        () =>
          `category ${key}: change ${output.last} moved the count from ${previous} to ` +
          `${output.count}, expected ${previous + delta}`,
      );
    }
    // A row leaves when the user's next event replaces it: that event is the change's cause.
    const cause = this.expectation.position(record) + (sign === '-' ? 1 : 0);
    const pair = `${group}:${user}`;
    const highest = this.highestCause.get(pair) ?? -1;
    if (cause < highest) {
      problem(
        tally,
        'outOfOrder',
        () => `category ${key}: change ${output.last} read after a later change of its user`,
      );
    }
    this.highestCause.set(pair, Math.max(highest, cause));
  }

  /** Counts the changes never read and the groups whose last count is not the batch result. */
  finish(): OutputTally {
    const tally = this.tally;
    const label = (record: number, sign: string): string =>
      `${sign}${this.expectation.userIds[this.expectation.userOf(record)] ?? '?'}:` +
      `${this.expectation.expectedTotal(record).seq}`;
    for (let record = 0; record < this.expectation.records; record++) {
      const join = this.expectation.joinOf(record).group;
      if (join >= 0 && this.joinReads[record] === 0) {
        problem(
          tally,
          'lost',
          () =>
            `category ${this.expectation.groupIds[join] ?? '?'}: change ${label(record, '+')} never read`,
        );
      }
      const leave = this.expectation.leaveOf(record);
      if (leave >= 0 && this.leaveReads[record] === 0) {
        problem(
          tally,
          'lost',
          () =>
            `category ${this.expectation.groupIds[leave] ?? '?'}: change ${label(record, '-')} never read`,
        );
      }
    }
    for (let group = 0; group < this.expectation.groupIds.length; group++) {
      const expected = this.expectation.groupFinal[group] ?? 0;
      const last = this.lastCount.get(group);
      if (last !== expected) {
        problem(
          tally,
          'notConverged',
          () =>
            `category ${this.expectation.groupIds[group] ?? '?'}: last count ` +
            `${last ?? 'never read'}, expected ${expected}`,
        );
      }
    }
    return tally;
  }
}

/** `value` parsed as a JSON object; undefined when it is not JSON or not an object. */
function parseJsonObject(value: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null
    ? (parsed as Record<string, unknown>)
    : undefined;
}
