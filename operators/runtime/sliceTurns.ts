/**
 * Turns of the event loop for the tasks' slices of records: one slice per turn, the tasks in
 * the order they asked. A task takes a turn before each slice it processes
 * ({@link takeSliceTurn}); between two slices the loop polls its sockets and runs its timers.
 *
 * Why: a task yields after each slice with `setImmediate`, and every callback queued that way
 * runs in the same check phase. A process with a few dozen tasks behind ran all their slices
 * back to back before its next poll: the demo's feature job, CPU-starved at nice 10, had an
 * event-loop delay of 130–200 ms at P99, and its interactive queries (the serving layer's user
 * features, with a 50 ms deadline) waited that long for their socket to be read. One slice a
 * turn bounds that wait by one slice; the slices and their number stay the same.
 */
const waiting: (() => void)[] = [];
let releasing = false;

/** Resolves when it is the caller's turn: at the next turn of the event loop, or later. */
export function takeSliceTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!releasing) {
      releasing = true;
      setImmediate(releaseOne);
    }
  });
}

/** Runs in the check phase: lets one waiter go; the next goes at the next turn. */
function releaseOne(): void {
  const next = waiting.shift();
  if (waiting.length > 0) {
    setImmediate(releaseOne);
  } else {
    releasing = false;
  }
  next?.();
}
