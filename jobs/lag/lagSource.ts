import type { LagSnapshot } from './lagModel.js';

/** Which groups and topics to describe. */
export interface LagQuery {
  /** Full-match regular expression over group ids; all consumer groups when absent. */
  readonly groupPattern?: RegExp;
  /** Only rows of this topic. */
  readonly topic?: string;
}

/**
 * Where snapshots come from. The Kafka implementation is {@link KafkaLagSource}; tests and the
 * evaluator see only this interface.
 */
export interface LagSource {
  snapshot(query: LagQuery): Promise<LagSnapshot>;
  close(): Promise<void>;
}
