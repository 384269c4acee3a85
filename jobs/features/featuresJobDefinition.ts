import { defineJob, Pipeline } from '../../operators/index.js';
import { featurePipelines } from '../../pipelines/featurePipelines.js';
import { featuresApplicationId } from './featuresJob.js';

const pipeline = new Pipeline();
featurePipelines(pipeline);

/**
 * The recommender's feature job as a job module, for `reelstream describe` (and any tool that
 * loads a module's `defineJob`): the same pipelines and application id as `featuresJob`,
 * with the pipelines' default bounds. The process that runs it (`reelstream features`) adds
 * its connection, state directory and query endpoint.
 */
export default defineJob({ applicationId: featuresApplicationId, pipeline });
