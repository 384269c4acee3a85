import { homedir } from 'node:os';
import { join } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import {
  ConfigError,
  connectionConfigFromEnv,
  isTransient,
  JobMetrics,
  TopicClient,
} from '../../operators/index.js';
import {
  calibrationMonitorDefaults,
  calibrationWindowSerdes,
} from '../../pipelines/calibrationMonitor.js';
import { defaultDriftRule } from '../../pipelines/calibrationDrift.js';
import type { CalibrationWindow } from '../../schemas/generated/calibrationWindow.js';
import { topicCatalog } from '../../schemas/topics.js';
import { runJobProcess } from '../cli/jobProcess.js';
import {
  jobLogger,
  withJobProcessOptions,
  type JobProcessFlags,
} from '../cli/jobProcessOptions.js';
import {
  addConnectionFlags,
  connectionConfigFromFlags,
  type ConnectionFlags,
} from '../lag/connectionFlags.js';
import { calibrationGauges } from './calibrationGauges.js';
import { calibrationApplicationId, calibrationJob } from './calibrationJob.js';
import {
  calibrationAlert,
  calibrationExitCodes,
  calibrationReportText,
} from './calibrationReport.js';

interface CalibrationFlags extends ConnectionFlags {
  readonly topic: string;
  readonly scope?: string;
  readonly last: number;
  readonly consecutive: number;
  readonly alert?: boolean;
  readonly json?: boolean;
}

/**
 * `reelstream calibration`: what on-call runs to see whether the ranking model's click
 * predictions still match the clicks: the latest windows of the calibration monitor's topic per
 * scope (predicted vs actual CTR, counts, z, verdict) and the alert state. With `--alert` the
 * exit code says it: 0 calibrated, 1 drifting, 3 no window yet, 4 Kafka unreachable, 5 usage
 * (docs/calibration.md).
 */
export function calibrationCommand(): Command {
  const command = new Command('calibration')
    .description(
      'show the calibration monitor’s latest windows (predicted vs actual CTR per scope) and whether its drift alert is on',
    )
    .option('--topic <name>', 'the monitor’s topic', topicCatalog.calibration.name)
    .option('--scope <scope>', 'only this scope (all, model:<version>)')
    .option('--last <n>', 'windows shown per scope', positiveInt, 10)
    .option('--consecutive <n>', 'a scope alerts when its last n windows all drift', positiveInt, 1)
    .option('--alert', 'exit 0 calibrated, 1 drifting, 3 no window, 4 unreachable, 5 usage')
    .option('--json', 'print the windows shown and the alert as JSON');
  addConnectionFlags(command);
  command.exitOverride((error) => {
    // commander's usage errors would exit 1, which --alert means drifting: use 5 instead.
    process.exit(error.exitCode === 0 ? 0 : calibrationExitCodes.usage);
  });
  command.action(async (flags: CalibrationFlags) => {
    process.exitCode = await showCalibration(flags);
  });
  return command;
}

async function showCalibration(flags: CalibrationFlags): Promise<number> {
  let client: TopicClient;
  try {
    client = await TopicClient.connect(connectionConfigFromFlags(flags));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      return calibrationExitCodes.usage;
    }
    process.stderr.write(`error: Kafka unreachable (${String(error)})\n`);
    return calibrationExitCodes.unreachable;
  }
  let windows: CalibrationWindow[];
  try {
    windows = (await client.readAll(flags.topic, calibrationWindowSerdes)).map((r) => r.value);
  } catch (error) {
    if (/does not exist/.test(String(error))) {
      windows = [];
    } else {
      process.stderr.write(`error: reading ${flags.topic}: ${String(error)}\n`);
      return isTransient(error) ? calibrationExitCodes.unreachable : 1;
    }
  } finally {
    await client.close();
  }
  const shown =
    flags.scope === undefined ? windows : windows.filter((w) => w.scope === flags.scope);
  const alert = calibrationAlert(shown, flags.consecutive);
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ ...alert, windows: shown }, null, 2)}\n`);
  } else if (shown.length === 0) {
    process.stdout.write(
      `no calibration windows on ${flags.topic}${flags.scope === undefined ? '' : ` for scope ${flags.scope}`}: is the monitor running (reelstream calibration-monitor), and are served impressions carrying predictions?\n`,
    );
  } else {
    process.stdout.write(
      `${calibrationReportText(shown, { last: flags.last, consecutive: flags.consecutive })}\n`,
    );
  }
  if (flags.alert !== true) {
    return 0;
  }
  if (shown.length === 0) {
    return calibrationExitCodes.noWindows;
  }
  return alert.drifting.length > 0 ? calibrationExitCodes.drifting : calibrationExitCodes.ok;
}

interface MonitorFlags extends JobProcessFlags {
  readonly stateDir: string;
  readonly windowSeconds: number;
  readonly feedbackWindowSeconds: number;
  readonly graceSeconds: number;
  readonly minImpressions: number;
  readonly zThreshold: number;
  readonly minRelativeGap: number;
}

/**
 * `reelstream calibration-monitor`: the monitor job (pipelines/calibrationMonitor.ts) as a
 * process, with `/metrics` carrying its gauges (`reelstream_calibration_*`, per scope).
 */
export function calibrationMonitorCommand(): Command {
  return withJobProcessOptions(new Command('calibration-monitor'))
    .description(
      'run the calibration monitor job: served click predictions joined with clicks, per window, drift alert, to monitoring.calibration and /metrics',
    )
    .option(
      '--state-dir <dir>',
      'the job’s local state',
      join(homedir(), '.cache', 'reelstream', 'state', calibrationApplicationId),
    )
    .option(
      '--window-seconds <n>',
      'tumbling window of impression time',
      positiveNumber,
      calibrationMonitorDefaults.windowMs / 1000,
    )
    .option(
      '--feedback-window-seconds <n>',
      'a click this long after its impression still counts',
      positiveNumber,
      calibrationMonitorDefaults.feedbackWindowMs / 1000,
    )
    .option(
      '--grace-seconds <n>',
      'labels this late still count in their window',
      positiveNumber,
      calibrationMonitorDefaults.graceMs / 1000,
    )
    .option(
      '--min-impressions <n>',
      'no verdict below this many impressions in a window',
      positiveInt,
      defaultDriftRule.minImpressions,
    )
    .option(
      '--z-threshold <z>',
      '|z| that counts as significant',
      positiveNumber,
      defaultDriftRule.zThreshold,
    )
    .option(
      '--min-relative-gap <x>',
      '|actual - predicted| / predicted that counts as large',
      positiveNumber,
      defaultDriftRule.minRelativeGap,
    )
    .action(async (flags: MonitorFlags) => {
      const logger = jobLogger(flags);
      const metrics = new JobMetrics();
      const job = calibrationJob({
        connection: connectionConfigFromEnv(),
        stateDir: flags.stateDir,
        logger,
        monitor: {
          windowMs: flags.windowSeconds * 1000,
          feedbackWindowMs: flags.feedbackWindowSeconds * 1000,
          graceMs: flags.graceSeconds * 1000,
          rule: {
            minImpressions: flags.minImpressions,
            zThreshold: flags.zThreshold,
            minRelativeGap: flags.minRelativeGap,
          },
          onWindow: calibrationGauges(metrics.registry),
        },
      });
      process.exitCode = await runJobProcess({
        job,
        logger,
        metrics,
        metricsEndpoint: flags.metricsEndpoint,
        graceMs: flags.grace * 1000,
        onStarted: ({ metricsEndpoint }) => {
          process.stdout.write(
            `calibration-monitor: running, writing ${topicCatalog.calibration.name}; health and metrics on ${metricsEndpoint ?? '-'}\n`,
          );
        },
      });
    });
}

function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}

function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive number`);
  }
  return value;
}
