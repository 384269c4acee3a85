import type { ReplayEvent } from './replayEvent.js';

interface Pending {
  readonly event: ReplayEvent;
  readonly seq: number;
}

/**
 * Merges the events of ratings (each rating's events at or after its own time, ratings in time
 * order) into one stream in event-time order: by `eventTime`, ties in the order the events were
 * added (rating order, then the order within a rating). A binary min-heap holds the events not
 * yet due; {@link EventMerge.drainUntil} releases those at or before a time no later rating can
 * precede.
 */
export class EventMerge {
  private readonly heap: Pending[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  add(events: readonly ReplayEvent[]): void {
    for (const event of events) {
      this.heap.push({ event, seq: this.seq++ });
      this.siftUp(this.heap.length - 1);
    }
  }

  /** Removes and returns, in order, every event with `eventTime <= timeMs`. */
  drainUntil(timeMs: number): ReplayEvent[] {
    const due: ReplayEvent[] = [];
    for (let top = this.heap[0]; top !== undefined && top.event.value.eventTime <= timeMs;) {
      due.push(top.event);
      this.pop();
      top = this.heap[0];
    }
    return due;
  }

  /** Removes and returns every event left, in order. */
  drainAll(): ReplayEvent[] {
    return this.drainUntil(Infinity);
  }

  private pop(): void {
    const last = this.heap.pop();
    if (last !== undefined && this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.less(child, parent)) {
        return;
      }
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    let parent = index;
    for (;;) {
      const left = parent * 2 + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.heap.length && this.less(left, smallest)) {
        smallest = left;
      }
      if (right < this.heap.length && this.less(right, smallest)) {
        smallest = right;
      }
      if (smallest === parent) {
        return;
      }
      this.swap(parent, smallest);
      parent = smallest;
    }
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) {
      return false;
    }
    const byTime = a.event.value.eventTime - b.event.value.eventTime;
    return byTime < 0 || (byTime === 0 && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a !== undefined && b !== undefined) {
      this.heap[i] = b;
      this.heap[j] = a;
    }
  }
}
