import type { SerdeContext } from '../serdes/serde.js';

/** The part of a serde that must run before it serializes for a new topic or subject. */
interface Preparable {
  readonly prepareSerialize?: (context: SerdeContext) => Promise<void>;
}

/**
 * Prepares serdes that write to a state store (an Avro serde registers its schema under the
 * store's subject and so learns the id the stored bytes carry). Called from `init`: the task
 * awaits it before the first record, so the per-record path stays synchronous.
 */
export async function prepareStateSerdes(
  serdes: readonly (readonly [Preparable, SerdeContext])[],
): Promise<void> {
  for (const [serde, context] of serdes) {
    await serde.prepareSerialize?.(context);
  }
}
