import type { Operator } from '../../operators/api/operator.js';
import { Pipeline } from '../../operators/dsl/pipeline.js';
import { jsonSerde, stringSerde } from '../../operators/serdes/basicSerdes.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import type { VectorStore } from '../../operators/vectors/vectorStore.js';
import type { VectorStoreDefinition } from '../../operators/vectors/vectorStoreSpec.js';

/** What the tests' operator does with one record (ids as decimal strings: JSON has no bigint). */
export type VectorCommand =
  | {
      readonly op: 'upsert';
      readonly id: string;
      readonly vector: number[];
      readonly version: string;
    }
  | { readonly op: 'delete'; readonly id: string };

export const commandSerdes = { key: stringSerde, value: jsonSerde<VectorCommand>() };

export const commandTopic = 'vector-commands';

/**
 * A pipeline whose one operator applies vector commands to `definition`'s store; `onInit`
 * receives each task's store instance, so a test can search it.
 */
export function vectorPipeline(
  definition: VectorStoreDefinition,
  onInit: (store: VectorStore) => void,
): Pipeline {
  const apply: Operator<string, VectorCommand, string, string> = {
    init(ctx) {
      onInit(ctx.vectorStore(definition));
    },
    process(record, ctx) {
      const store = ctx.vectorStore(definition);
      const command = record.value;
      if (command.op === 'upsert') {
        store.upsert(BigInt(command.id), Float32Array.from(command.vector), command.version);
      } else {
        store.delete(BigInt(command.id));
      }
    },
  };
  const pipeline = new Pipeline();
  pipeline
    .source(commandTopic, commandSerdes)
    .process(() => apply, { name: 'apply-vectors', stores: [definition] });
  return pipeline;
}

export function randomVector(random: () => number, dimension: number): number[] {
  return Array.from({ length: dimension }, () => random() * 2 - 1);
}

/** The current vectors as the tests expect them, and exact search over them. */
export class VectorModel {
  readonly vectors = new Map<bigint, Float32Array>();

  apply(command: VectorCommand): void {
    if (command.op === 'upsert') {
      this.vectors.set(BigInt(command.id), Float32Array.from(command.vector));
    } else {
      this.vectors.delete(BigInt(command.id));
    }
  }

  /** The ids of the k nearest by squared L2, nearest first. */
  nearest(query: Float32Array, k: number): bigint[] {
    return [...this.vectors]
      .map(([id, vector]) => {
        let distance = 0;
        vector.forEach((x, i) => {
          distance += (x - (query[i] ?? 0)) ** 2;
        });
        return { id, distance };
      })
      .sort((a, b) => a.distance - b.distance)
      .slice(0, k)
      .map((hit) => hit.id);
  }
}

export function seededQueries(seed: number, count: number, dimension: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from(randomVector(random, dimension)));
}
