/**
 * The calls a kafkajs client has under way, so that closing it can wait for them.
 *
 * kafkajs retries a call whose connection closed by connecting again (a producer's send checks
 * `cluster.isConnected()` and reconnects; a consumer's commit looks the coordinator up afresh).
 * A call still retrying when its client is disconnected therefore opens a new connection after
 * the disconnect, and nothing closes it: the process outlives its job with a socket to the
 * broker. Closing disconnects at once (the calls under way fail or finish sooner), then again
 * once every call has settled, which closes what they reopened.
 */
export class CallsInFlight {
  private readonly pending = new Set<Promise<unknown>>();

  /** Runs the call, counting it as under way until it settles. */
  track<TResult>(call: () => Promise<TResult>): Promise<TResult> {
    const running = call();
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return running;
  }

  /** Disconnects, waits for every call under way, and disconnects again if there was one. */
  async closeWith(disconnect: () => Promise<void>): Promise<void> {
    const first = await disconnect().then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    if (this.pending.size > 0) {
      while (this.pending.size > 0) {
        await Promise.all([...this.pending]);
      }
      await disconnect();
    }
    if (first !== undefined) {
      throw first.error;
    }
  }
}
