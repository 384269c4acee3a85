/**
 * reelstream's public API. Pipelines import from here and from `schemas/` only; the runtime,
 * state and connector internals stay behind this file (enforced by eslint).
 */
export { ConfigError, ReelstreamError, errorCodes, type ErrorCode } from './errors.js';
export {
  connectionConfigFromEnv,
  defaultBrokers,
  defaultRegistryUrl,
  type ConnectionConfig,
  type RegistryConfig,
  type SaslConfig,
  type TlsConfig,
} from './config/connectionConfig.js';
export { StreamRecord, type Headers, type RecordFields, type RecordOrigin } from './api/record.js';
export type { HeldUpdate, Operator, OperatorContext } from './api/operator.js';
export {
  type Timer,
  type TimerKind,
  type TimerOptions,
  type TimerService,
} from './timers/timers.js';
export {
  DeserializationError,
  IncompatibleSchemaError,
  UnknownSchemaError,
  type SchemaCatalog,
  type Serde,
  type SerdeContext,
  type SerdeEnvironment,
} from './serdes/serde.js';
export {
  bytesSerde,
  float64Serde,
  jsonSerde,
  nullable,
  stringSerde,
} from './serdes/basicSerdes.js';
export type { AvroSchema, AvroSchemaJson } from './serdes/avro/avroSchema.js';
export {
  avroSerde,
  type AvroSerdeOptions,
  type SubjectNameStrategy,
} from './serdes/avro/avroSerde.js';
export { avroBinarySerde } from './serdes/avro/avroBinarySerde.js';
export { Pipeline } from './dsl/pipeline.js';
export {
  Stream,
  type RepartitionOptions,
  type SinkOptions,
  type StepOptions,
  type TopicSerdes,
  WindowedJoinStream,
} from './dsl/stream.js';
export { GroupedStream, type AggregateStepOptions } from './dsl/groupedStream.js';
export type { AggregateEmit } from './aggregation/keyValueAggregateOperator.js';
export type { Combine } from './aggregation/commitCombiner.js';
export {
  WindowedGroupedStream,
  type WindowedAggregateStepOptions,
  type WindowedValue,
} from './dsl/windowedGroupedStream.js';
export { GroupedTable, Table, type TableAggregateOptions } from './dsl/table.js';
export type { KeyValue } from './aggregation/tableGroupByOperator.js';
export { GlobalTable } from './dsl/globalTable.js';
export type { GlobalJoinOptions, JoinOptions, WindowedJoinOptions } from './joins/joinNodes.js';
export type { ValueJoiner } from './joins/streamTableJoinOperator.js';
export type { ReadOnlyStore } from './state/readOnlyStore.js';
export { WindowedTable } from './dsl/windowedTable.js';
export {
  hoppingWindows,
  sessionWindows,
  slidingWindows,
  tumblingWindows,
  type FixedWindows,
  type SessionWindows,
  type SlidingWindows,
  type Windows,
} from './windowing/windows.js';
export { windowedSerde, type Windowed } from './windowing/windowed.js';
export { InvalidTimestampError } from './windowing/invalidTimestamp.js';
export {
  addToBucket,
  bucketIndex,
  dropBefore,
  firstIndexAt,
  leavesWindowAt,
  sumFrom,
  VarintReader,
  VarintWriter,
  type BucketRow,
  type BucketWindow,
} from './windowing/timeBuckets.js';
export type { EmitMode } from './windowing/windowedAggregateOperator.js';
export { keyValueStore, type StoreBackend, type StoreDefinition } from './state/storeDefinition.js';
export { KeyValueState } from './state/keyValueState.js';
export {
  vectorStore,
  type StoredVector,
  type VectorIndexOptions,
  type VectorMetric,
  type VectorStoreDefinition,
} from './vectors/vectorStoreSpec.js';
export {
  VectorStore,
  type VectorHit,
  type VectorSearchOptions,
  type VectorStoreStats,
} from './vectors/vectorStore.js';
export {
  VectorStoreError,
  vectorStoreErrorCodes,
  type VectorStoreErrorCode,
} from './vectors/vectorStoreErrors.js';
export type { TaskStore } from './state/taskStore.js';
export {
  rocksDbMemoryDefaults,
  rocksDbNativeMemory,
  type RocksDbMemory,
  type RocksDbNativeMemory,
} from './state/rocksdb/rocksDbStore.js';
export type { ProcessingGuarantee } from './runtime/committer.js';
export type { RestoreReport } from './runtime/taskState.js';
export {
  deadLetterHeaders,
  deadLetterPolicy,
  logAndContinuePolicy,
  logAndFailPolicy,
  RecordFailedError,
  type FailureContext,
  type FailureDecision,
  type FailurePolicy,
  type FailureStage,
} from './runtime/failurePolicy.js';
export {
  TestDriver,
  TestInputTopic,
  TestOutputTopic,
  type TestDriverOptions,
} from './testing/testDriver.js';
export { StreamJob, type RecoveryOptions, type StreamJobOptions } from './runtime/streamJob.js';
export { defineJob, jobDefinitionProblem, type JobDefinition } from './runtime/jobDefinition.js';
export {
  describeFormats,
  describeJob,
  pipelineDiagram,
  renderMermaid,
  renderSvg,
  type DescribeFormat,
  type DiagramEdge,
  type DiagramEdgeKind,
  type DiagramGroup,
  type DiagramNode,
  type DiagramNodeKind,
  type JobDiagram,
  type LayoutDirection,
} from './describe/index.js';
export { TopicClient, type TopicRecordInput, type TopicRecordRead } from './topics/topicClient.js';
export type { JobHealthReport } from './runtime/jobHealth.js';
export { isTransient } from './runtime/transientErrors.js';
export { untilReachable } from './runtime/untilReachable.js';
export { seededRandom } from './support/seededRandom.js';
export type { ArrivalDelaySummary } from './monitoring/arrivalDelays.js';
export { JobMetrics, type MonitoredJob } from './monitoring/jobMetrics.js';
export { MonitoringServer } from './monitoring/monitoringServer.js';
export { StoreQuery, type QueryableStore } from './query/storeQuery.js';
export { RemoteStore } from './query/remoteStore.js';
export { RemoteVectorSearch } from './query/remoteVectorSearch.js';
export type {
  ShardHit,
  UnavailableShard,
  VectorSearchLookup,
  VectorSearchResult,
} from './query/vectorSearch.js';
export {
  KeyNotOwnedError,
  QueryNotAuthorizedError,
  StoreUnavailableError,
  type KeyOwner,
} from './query/errors.js';
export {
  queryAccessFromEnv,
  querySecurityFromEnv,
  type QueryAccess,
  type QueryClientTls,
  type QuerySecurity,
  type QueryServerTls,
} from './query/querySecurity.js';
export type { KeyLocation } from './query/queryService.js';
export { JobLifecycle, InvalidTransitionError, type JobState } from './runtime/jobLifecycle.js';
export {
  RequestClient,
  RequestClientClosedError,
  RequestFailedError,
  RequestTimeoutError,
  type RequestClientOptions,
} from './requestReply/requestClient.js';
export {
  defaultReplyTopicRules,
  replyTopicPrefix,
  type ReplyTopicRules,
} from './requestReply/replyTopicRules.js';
export {
  undeliverableReasons,
  UndeliverableReplyError,
  type UndeliverableReason,
} from './requestReply/undeliverableReply.js';
export {
  requestErrorCodes,
  requestHeaders,
  type RequestErrorCode,
} from './requestReply/protocol.js';
export type { RequestHandler, Served, ServeLookups } from './requestReply/serveOperator.js';
