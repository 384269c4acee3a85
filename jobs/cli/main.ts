#!/usr/bin/env -S node --max-semi-space-size=64
import { Command } from 'commander';

import { ReelstreamError } from '../../operators/index.js';
import {
  calibrationCommand,
  calibrationMonitorCommand,
} from '../calibration/calibrationCommand.js';
import { lagCommand } from '../lag/lagCommand.js';
import { checkReplayCommand } from './checkReplayCommand.js';
import { demoCommand } from './demoCommand.js';
import { describeCommand } from './describeCommand.js';
import { evaluateCommand } from './evaluateCommand.js';
import { faultsCommand } from './faultsCommand.js';
import { featuresCommand } from './featuresCommand.js';
import { generateCommand } from './generateCommand.js';
import { initCommand } from './initCommand.js';
import { exitIfLingering } from './lingering.js';
import { traceTimersIfAsked } from './timerOrigins.js';
import { evaluateRankerCommand } from '../training/evaluateRankerCommand.js';
import { exportExamplesCommand } from '../training/exportExamplesCommand.js';
import { replayCommand } from './replayCommand.js';
import { runCommand } from './runCommand.js';
import { schemasCommand } from './schemasCommand.js';
import { serveCommand } from './serveCommand.js';
import { stackCommand } from './stackCommand.js';
import { trainCommand } from './trainCommand.js';

traceTimersIfAsked();

const program = new Command('reelstream')
  .description('typed, stateful stream processing on Kafka, and the recommender built on it')
  .showHelpAfterError()
  .addCommand(initCommand())
  .addCommand(runCommand())
  .addCommand(describeCommand())
  .addCommand(stackCommand())
  .addCommand(demoCommand())
  .addCommand(featuresCommand())
  .addCommand(serveCommand())
  .addCommand(schemasCommand())
  .addCommand(lagCommand())
  .addCommand(calibrationCommand())
  .addCommand(calibrationMonitorCommand())
  .addCommand(generateCommand())
  .addCommand(replayCommand())
  .addCommand(evaluateCommand())
  .addCommand(exportExamplesCommand())
  .addCommand(trainCommand())
  .addCommand(evaluateRankerCommand())
  .addCommand(checkReplayCommand())
  .addCommand(faultsCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Configuration mistakes are the user's to fix: one clear line, no stack trace.
  if (error instanceof ReelstreamError && !error.retriable) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
exitIfLingering();
