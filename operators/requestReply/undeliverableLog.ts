import type { Logger } from 'pino';

import type { UndeliverableReason } from './undeliverableReply.js';

/**
 * Counts undeliverable replies by reason and logs them rate-limited: the first one of a quiet
 * spell at once, then at most one summary line per `intervalMs` with the counts since the last
 * line. A flood of hostile requests (or a thousand clients closing) is then a few lines, not
 * one per request.
 */
export class UndeliverableLog {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly totals = new Map<UndeliverableReason, number>();
  private pending = new Map<UndeliverableReason, number>();
  private example: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLine = Number.NEGATIVE_INFINITY;

  constructor(logger: Logger, options: { intervalMs?: number } = {}) {
    this.logger = logger;
    this.intervalMs = options.intervalMs ?? 10_000;
  }

  /** One more reply dead-lettered for `reason`; `message` says which (for the log line). */
  add(reason: UndeliverableReason, message: string): void {
    this.totals.set(reason, (this.totals.get(reason) ?? 0) + 1);
    this.pending.set(reason, (this.pending.get(reason) ?? 0) + 1);
    this.example ??= message;
    if (Date.now() - this.lastLine >= this.intervalMs) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
    }
  }

  /** Undeliverable replies so far, in all and per reason. */
  counts(): { total: number; byReason: Partial<Record<UndeliverableReason, number>> } {
    const byReason = Object.fromEntries(this.totals) as Partial<
      Record<UndeliverableReason, number>
    >;
    return { total: [...this.totals.values()].reduce((sum, n) => sum + n, 0), byReason };
  }

  /** Logs what is pending now (at stop, so nothing counted goes unsaid). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) {
      return;
    }
    const counts = Object.fromEntries(this.pending);
    const total = [...this.pending.values()].reduce((sum, n) => sum + n, 0);
    this.logger.warn(
      { undeliverableReplies: counts, example: this.example },
      `${total} replies undeliverable, their requests dead-lettered (at most one line per ${this.intervalMs / 1000} s)`,
    );
    this.pending = new Map();
    this.example = undefined;
    this.lastLine = Date.now();
  }
}
