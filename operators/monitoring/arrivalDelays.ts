/**
 * How late the records of one topic reached the job, over the most recent ones
 * (`StreamJob.stats().arrivalDelays`).
 *
 * @category Monitoring
 */
export interface ArrivalDelaySummary {
  /** Records measured since the job started (the quantiles cover the most recent of them). */
  readonly records: number;
  /** The most recent records the quantiles cover. */
  readonly kept: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Per source topic, how long its records took to reach the job: the wall-clock time their fetch
 * was delivered minus each record's timestamp (Kafka Streams' `record-e2e-latency` at a source
 * node). On a request topic whose clients stamp the send time, that is the way to the job (the
 * client's send, the broker, the fetch) without the job's own queue after it; on an event topic
 * it is how far behind event time the job reads. Kept for the named topics only, each in a ring
 * of its most recent `capacity` records, so measuring costs a subtraction and a store per record.
 */
export class ArrivalDelays {
  private readonly rings = new Map<
    string,
    { delays: Float64Array; records: number; summary?: ArrivalDelaySummary }
  >();

  constructor(topics: readonly string[], capacity = 65_536) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    for (const topic of topics) {
      this.rings.set(topic, { delays: new Float64Array(capacity), records: 0 });
    }
  }

  /** A fetched batch of `topic` reached the job at `atMs` (ignored for a topic not named). */
  record(topic: string, records: readonly { readonly timestamp: number }[], atMs: number): void {
    const ring = this.rings.get(topic);
    if (ring === undefined) {
      return;
    }
    const { delays } = ring;
    for (const record of records) {
      delays[ring.records % delays.length] = atMs - record.timestamp;
      ring.records += 1;
    }
  }

  /**
   * Each named topic's delays so far; a topic with no records yet is left out. A topic's
   * quantiles are sorted again only once records arrived since: a metrics scrape reads the job's
   * stats once per gauge, and a sort of a full ring takes milliseconds of the job's event loop.
   */
  summary(): Record<string, ArrivalDelaySummary> {
    const summary: Record<string, ArrivalDelaySummary> = {};
    for (const [topic, ring] of this.rings) {
      if (ring.records === 0) {
        continue;
      }
      if (ring.summary?.records === ring.records) {
        summary[topic] = ring.summary;
        continue;
      }
      const kept = ring.delays.slice(0, Math.min(ring.records, ring.delays.length)).sort();
      const at = (q: number): number =>
        kept[Math.min(kept.length - 1, Math.floor(q * kept.length))] ?? 0;
      ring.summary = {
        records: ring.records,
        kept: kept.length,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: kept[kept.length - 1] ?? 0,
      };
      summary[topic] = ring.summary;
    }
    return summary;
  }
}
