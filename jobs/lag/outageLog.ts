/**
 * One line per failed look while the cluster cannot be read, and one when it answers again, for
 * the long-running modes (`--prometheus`, `--watch`): on-call reading the log sees when the
 * outage began, how long it has lasted and that the monitor is still retrying.
 */
export class OutageLog {
  private sinceMs: number | undefined;
  private failedLooks = 0;

  constructor(private readonly intervalMs: number) {}

  /** The line for a look that failed at `nowMs` with `message`. */
  failed(message: string, nowMs: number): string {
    this.sinceMs ??= nowMs;
    this.failedLooks += 1;
    const looks = this.failedLooks === 1 ? '1 look' : `${this.failedLooks} looks`;
    return (
      `${stamp(nowMs)} cluster unreachable for ${seconds(nowMs - this.sinceMs)} s (${looks} failed): ` +
      `${message}; retrying every ${seconds(this.intervalMs)} s`
    );
  }

  /** The line for the first look that succeeds after failures; `undefined` otherwise. */
  succeeded(nowMs: number): string | undefined {
    if (this.sinceMs === undefined) {
      return undefined;
    }
    const line = `${stamp(nowMs)} cluster answers again after ${seconds(nowMs - this.sinceMs)} s (${this.failedLooks} failed looks)`;
    this.sinceMs = undefined;
    this.failedLooks = 0;
    return line;
  }
}

function stamp(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number): string {
  return String(Math.round(ms / 1000));
}
