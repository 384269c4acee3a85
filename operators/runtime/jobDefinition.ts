import { Pipeline } from '../dsl/pipeline.js';
import { ReelstreamError, errorCodes } from '../errors.js';
import type { StreamJobOptions } from './streamJobOptions.js';

/**
 * A job as a user's module declares it for `reelstream run` and `reelstream describe`: the
 * pipeline and the options of a {@link StreamJob}, less what the process supplies (the
 * connection from `REELSTREAM_BROKERS` and friends, the logger, the client). The module's
 * default export is one, made with {@link defineJob}.
 *
 * @example
 * ```ts
 * import { Pipeline, defineJob, stringSerde } from 'reelstream';
 *
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('greetings', { key: stringSerde, value: stringSerde })
 *   .mapValues((text) => text.toUpperCase())
 *   .to('shouts', { key: stringSerde, value: stringSerde });
 *
 * export default defineJob({ applicationId: 'shouter', pipeline, guarantee: 'exactly-once' });
 * ```
 * @category Runtime
 */
export type JobDefinition = Omit<StreamJobOptions, 'connection' | 'logger' | 'client'>;

/**
 * Checks a job definition where it is written, so a mistake is reported with the module's
 * line rather than when the job starts: an application id Kafka accepts as a group id and
 * topic prefix, and a pipeline.
 * @category Runtime
 */
export function defineJob(definition: JobDefinition): JobDefinition {
  const problem = jobDefinitionProblem(definition);
  if (problem !== undefined) {
    throw new ReelstreamError(errorCodes.invalidConfig, problem);
  }
  return definition;
}

/** Why `value` is not a {@link JobDefinition}, or undefined when it is one. */
export function jobDefinitionProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return `a job definition is an object ({ applicationId, pipeline, … }), not ${describeValue(value)}`;
  }
  const { applicationId, pipeline } = value as Partial<Record<keyof JobDefinition, unknown>>;
  if (typeof applicationId !== 'string' || !applicationIdPattern.test(applicationId)) {
    return `applicationId must be 1 to 200 of [a-zA-Z0-9._-] (it names the consumer group and the internal topics), not ${describeValue(applicationId)}`;
  }
  if (!isPipeline(pipeline)) {
    return `pipeline must be a Pipeline (new Pipeline() from 'reelstream'), not ${describeValue(pipeline)}`;
  }
  return undefined;
}

/**
 * A Pipeline by its shape, not by `instanceof`: the module may have been loaded through a
 * second copy of reelstream (its TypeScript sources under tsx beside the built CLI, or a
 * project's own install beside a global one), whose class is another object with the same
 * graph inside.
 */
function isPipeline(value: unknown): value is Pipeline {
  if (value instanceof Pipeline) {
    return true;
  }
  const candidate = value as Partial<Pipeline> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.graph?.all === 'function' &&
    Array.isArray(candidate.globalTables)
  );
}

/** Internal topics are `<applicationId>-…`, so the id obeys Kafka's topic name rules, shorter. */
const applicationIdPattern = /^[a-zA-Z0-9._-]{1,200}$/;

function describeValue(value: unknown): string {
  if (value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'object') {
    return `an object of ${value.constructor.name}`;
  }
  return `a ${typeof value}`;
}
