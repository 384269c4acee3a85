import { defineJob } from '../../operators/index.js';
import { calibrationApplicationId, calibrationPipeline } from './calibrationJob.js';

/**
 * The calibration monitor as a job module, for `reelstream describe` and `reelstream run`
 * (defaults: 1-minute windows, 10-minute feedback window, no gauges; `reelstream
 * calibration-monitor` runs it with its Prometheus gauges and flags).
 */
export default defineJob({
  applicationId: calibrationApplicationId,
  pipeline: calibrationPipeline(),
});
