/**
 * A min-heap of scheduled items ordered by time, ties broken by insertion order, so a
 * simulation pops them in a deterministic event-time order.
 */
export class EventQueue<TItem> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: TItem[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest item; Infinity when empty. */
  peekTime(): number {
    return this.times[0] ?? Infinity;
  }

  push(time: number, item: TItem): void {
    this.times.push(time);
    this.seqs.push(this.nextSeq++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the earliest item with its time; undefined when empty. */
  pop(): { time: number; item: TItem } | undefined {
    const time = this.times[0];
    const item = this.items[0];
    if (time === undefined || item === undefined) {
      return undefined;
    }
    const last = this.items.length - 1;
    this.move(last, 0);
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    if (this.items.length > 0) {
      this.down(0);
    }
    return { time, item };
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a] ?? Infinity;
    const tb = this.times[b] ?? Infinity;
    return ta < tb || (ta === tb && (this.seqs[a] ?? 0) < (this.seqs[b] ?? 0));
  }

  private up(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) {
        return;
      }
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(start: number): void {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.items.length && this.less(left, smallest)) {
        smallest = left;
      }
      if (right < this.items.length && this.less(right, smallest)) {
        smallest = right;
      }
      if (smallest === i) {
        return;
      }
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] ?? Infinity;
    this.seqs[to] = this.seqs[from] ?? 0;
    const item = this.items[from];
    if (item !== undefined) {
      this.items[to] = item;
    }
  }

  private swap(a: number, b: number): void {
    const time = this.times[a] ?? Infinity;
    const seq = this.seqs[a] ?? 0;
    const item = this.items[a];
    this.move(b, a);
    this.times[b] = time;
    this.seqs[b] = seq;
    if (item !== undefined) {
      this.items[b] = item;
    }
  }
}
