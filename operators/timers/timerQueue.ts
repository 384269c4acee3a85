/** A live timer of the queue: its time and its key's bytes as a latin1 string. */
export interface QueuedTimer {
  readonly timestamp: number;
  /** The timer key's bytes, one code unit per byte: string order is byte order. */
  readonly key: string;
}

/**
 * The live timers of one kind of one node, in firing order (time, then key bytes): a binary
 * heap with lazy deletion, beside the set of live timers.
 *
 * Why in memory: the timers are also in the node's timer store (RocksDB and its changelog),
 * but finding the due ones there was a range scan per check, and the scans walked the
 * tombstones of every timer fired or moved since the last compaction: in the feature job under
 * load, the timer stores' iterators grew from 2% to 5% of the processing thread in four
 * minutes. The store stays the durable copy; the queue is rebuilt from it when a task starts.
 *
 * A cancelled timer stays in the heap until it reaches the top (then it is dropped) or until
 * dead entries outnumber live ones (then the heap is rebuilt from the live set).
 */
export class TimerQueue {
  private heap: QueuedTimer[] = [];
  private readonly live = new Map<string, QueuedTimer>();

  get size(): number {
    return this.live.size;
  }

  add(timestamp: number, key: string): void {
    const id = idOf(timestamp, key);
    if (this.live.has(id)) {
      return;
    }
    const timer = { timestamp, key };
    this.live.set(id, timer);
    this.push(timer);
  }

  remove(timestamp: number, key: string): void {
    if (this.live.delete(idOf(timestamp, key)) && this.heap.length > 2 * this.live.size + 64) {
      this.heap = [...this.live.values()].sort(compareTimers);
    }
  }

  /** The earliest live timer, left in the queue. */
  peek(): QueuedTimer | undefined {
    let top = this.heap[0];
    while (top !== undefined && !this.live.has(idOf(top.timestamp, top.key))) {
      this.pop();
      top = this.heap[0];
    }
    return top;
  }

  /** Takes the earliest live timer out of the queue when its time is at most `upTo`. */
  takeDue(upTo: number): QueuedTimer | undefined {
    const top = this.peek();
    if (top === undefined || top.timestamp > upTo) {
      return undefined;
    }
    this.pop();
    this.live.delete(idOf(top.timestamp, top.key));
    return top;
  }

  clear(): void {
    this.heap = [];
    this.live.clear();
  }

  private push(timer: QueuedTimer): void {
    const heap = this.heap;
    let at = heap.push(timer) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = heap[parent] as QueuedTimer;
      if (compareTimers(above, timer) <= 0) {
        break;
      }
      heap[at] = above;
      at = parent;
    }
    heap[at] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) {
      return;
    }
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) {
        break;
      }
      const right = left + 1;
      const child =
        right < heap.length &&
        compareTimers(heap[right] as QueuedTimer, heap[left] as QueuedTimer) < 0
          ? right
          : left;
      const below = heap[child] as QueuedTimer;
      if (compareTimers(last, below) <= 0) {
        break;
      }
      heap[at] = below;
      at = child;
    }
    heap[at] = last;
  }
}

function idOf(timestamp: number, key: string): string {
  return `${timestamp}\u0000${key}`;
}

function compareTimers(a: QueuedTimer, b: QueuedTimer): number {
  if (a.timestamp !== b.timestamp) {
    return a.timestamp - b.timestamp;
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
