/**
 * Runs async work one piece at a time, in the order it was queued: a task's batches and
 * commits never interleave, even when kafkajs hands out batches of two of its source topics at
 * once.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<TResult>(work: () => Promise<TResult>): Promise<TResult> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
