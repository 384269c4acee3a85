import type { RecordOrigin } from '../api/record.js';

/**
 * What to do with a record that failed: skip it (logged and counted), stop the job, or send its
 * original bytes to the dead-letter topic `<applicationId>.dlq` with its origin in headers.
 *
 * @category Runtime
 */
export type FailureDecision = 'continue' | 'fail' | 'deadLetter';

/** @category Runtime */
export type FailureStage = 'deserialization' | 'processing' | 'production';

/** @category Runtime */
export interface FailureContext {
  readonly stage: FailureStage;
  readonly error: unknown;
  readonly origin: RecordOrigin;
  readonly taskId: string;
}

/**
 * Per-record failure handling, one handler per stage (Kafka Streams' exception handlers). User
 * code that throws goes here, never into a retry loop that would stall the partition.
 *
 * @category Runtime
 */
export interface FailurePolicy {
  onDeserializationError(context: FailureContext): FailureDecision;
  onProcessingError(context: FailureContext): FailureDecision;
  onProductionError(context: FailureContext): FailureDecision;
}

/**
 * The default: every failed record goes to the dead-letter topic; nothing is lost and the
 * partition moves on.
 *
 * @category Runtime
 */
export const deadLetterPolicy: FailurePolicy = {
  onDeserializationError: () => 'deadLetter',
  onProcessingError: () => 'deadLetter',
  onProductionError: () => 'deadLetter',
};

/** Skips failed records (the runtime logs and counts each). @category Runtime */
export const logAndContinuePolicy: FailurePolicy = {
  onDeserializationError: () => 'continue',
  onProcessingError: () => 'continue',
  onProductionError: () => 'continue',
};

/** Stops the job at the first failed record. @category Runtime */
export const logAndFailPolicy: FailurePolicy = {
  onDeserializationError: () => 'fail',
  onProcessingError: () => 'fail',
  onProductionError: () => 'fail',
};

/** Picks the handler for a stage. */
export function decide(policy: FailurePolicy, context: FailureContext): FailureDecision {
  switch (context.stage) {
    case 'deserialization':
      return policy.onDeserializationError(context);
    case 'processing':
      return policy.onProcessingError(context);
    case 'production':
      return policy.onProductionError(context);
  }
}

/** Header names on dead-letter records (values are strings). @category Runtime */
export const deadLetterHeaders = {
  topic: 'reelstream.dlq.topic',
  partition: 'reelstream.dlq.partition',
  offset: 'reelstream.dlq.offset',
  stage: 'reelstream.dlq.stage',
  errorClass: 'reelstream.dlq.error.class',
  errorMessage: 'reelstream.dlq.error.message',
  task: 'reelstream.dlq.task',
  /** On a request whose reply could not be delivered: why (`UndeliverableReason`). */
  replyReason: 'reelstream.dlq.reply.reason',
} as const;

/** The job stopped because a record's failure policy said `fail`. @category Runtime */
export class RecordFailedError extends Error {
  override readonly name = 'RecordFailedError';
  readonly origin: RecordOrigin;
  readonly stage: FailureStage;

  constructor(context: FailureContext) {
    super(
      `${context.stage} failed at ${context.origin.topic}-${context.origin.partition}@${context.origin.offset}: ${errorMessage(context.error)}`,
      { cause: context.error },
    );
    this.origin = context.origin;
    this.stage = context.stage;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorClass(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
