import type { Headers } from '../api/record.js';

/** A record as read from Kafka: bytes, before the source's serdes. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
}

/** A record to produce: bytes, after the sink's serdes. Partition by key unless given. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly partition?: number;
  /** A reply: its request, to dead-letter in its place when its topic cannot take it. */
  readonly reply?: ReplyOrigin;
}

/** The request a reply answers, and the task that answered it (for the dead letter). */
export interface ReplyOrigin {
  readonly request: RawRecord;
  readonly taskId: string;
}
