import type { Pipeline } from '../dsl/pipeline.js';
import { Topology } from '../runtime/topology.js';
import { pipelineDiagram } from './jobDiagram.js';
import { renderMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';

/**
 * What `reelstream describe` prints: `text` (Kafka Streams-like, for terminals and diffs),
 * `mermaid` (for Markdown) or `svg` (a picture that needs nothing else).
 * @category Runtime
 */
export type DescribeFormat = 'text' | 'mermaid' | 'svg';

/** @category Runtime */
export const describeFormats: readonly DescribeFormat[] = ['text', 'mermaid', 'svg'];

/**
 * A job's DAG in one of the {@link DescribeFormat}s, its topics named as the job
 * `applicationId` names them.
 *
 * @example
 * ```ts
 * import { describeJob, Pipeline, stringSerde } from 'reelstream';
 *
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('words', { key: stringSerde, value: stringSerde })
 *   .mapValues((word) => word.toUpperCase())
 *   .to('shouted', { key: stringSerde, value: stringSerde });
 * process.stdout.write(describeJob(pipeline, 'shouter', 'mermaid'));
 * ```
 * @category Runtime
 */
export function describeJob(
  pipeline: Pipeline,
  applicationId: string,
  format: DescribeFormat,
): string {
  switch (format) {
    case 'text':
      return `${describeJobText(pipeline, applicationId)}\n`;
    case 'mermaid':
      return `${renderMermaid(pipelineDiagram(pipeline, applicationId))}\n`;
    case 'svg':
      return renderSvg(pipelineDiagram(pipeline, applicationId));
  }
}

/**
 * `pipeline.describe(applicationId)` and the changelog topics of its stores: the topics an
 * operator must create, or grant the job's principal, are then all in one listing.
 * @category Runtime
 */
export function describeJobText(pipeline: Pipeline, applicationId: string): string {
  const changelogs = new Topology(pipeline.graph, applicationId).changelogTopics();
  const described = pipeline.describe(applicationId);
  if (changelogs.length === 0) {
    return described;
  }
  const lines = changelogs.map((c) => `  ${c.name} (sub-topology: ${c.subTopology.id})`);
  return [described, 'Changelog topics', ...lines].join('\n');
}
