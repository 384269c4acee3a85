/**
 * `reelstream describe`: a job's DAG as text, as a Mermaid flowchart, and as a standalone SVG,
 * all drawn from one neutral {@link JobDiagram}.
 */
export {
  pipelineDiagram,
  topologyDiagram,
  type DiagramEdge,
  type DiagramEdgeKind,
  type DiagramGroup,
  type DiagramNode,
  type DiagramNodeKind,
  type JobDiagram,
} from './jobDiagram.js';
export { renderMermaid } from './mermaid.js';
export { renderSvg } from './svg.js';
export {
  layoutDiagram,
  type DiagramLayout,
  type DiagramLayoutOptions,
  type LayoutDirection,
  type PlacedEdge,
  type PlacedGroup,
  type PlacedNode,
} from './diagramLayout.js';
export {
  describeFormats,
  describeJob,
  describeJobText,
  type DescribeFormat,
} from './describeJob.js';
