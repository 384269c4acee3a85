import { setTimeout as sleep } from 'node:timers/promises';

import { Command, InvalidArgumentError, Option } from 'commander';

import { ConfigError } from '../../operators/index.js';
import { defaultEvaluatorSettings, type EvaluatorSettings } from './burrowEvaluator.js';
import {
  addConnectionFlags,
  connectionConfigFromFlags,
  type ConnectionFlags,
} from './connectionFlags.js';
import { exitCodeForError, exitCodeForStatus, exitCodes } from './exitCodes.js';
import { runExporter } from './exporterLoop.js';
import { renderJson } from './jsonReport.js';
import { KafkaLagSource } from './kafkaLagSource.js';
import { LagError } from './lagErrors.js';
import { LagMonitor } from './lagMonitor.js';
import type { LagQuery } from './lagSource.js';
import { defaultSampleFile } from './sampleFile.js';
import { renderTable } from './tableView.js';
import { runWatch } from './watchLoop.js';

interface LagFlags extends ConnectionFlags {
  group?: string;
  topic?: string;
  problems?: boolean;
  json?: boolean;
  watch?: boolean;
  prometheus?: number;
  clusterName?: string;
  alert?: boolean;
  interval: number;
  samples: number;
  window: number;
  allowedLag: number;
  minSamples: number;
  stateFile?: string;
  state: boolean;
  timeout: number;
  color?: boolean;
}

/**
 * `reelstream lag`: consumer-group lag with Burrow status and time lag, as a table, JSON, a
 * refreshing view, a Prometheus exporter or an alert exit code. See docs/lag.md.
 */
export function lagCommand(): Command {
  const command = new Command('lag')
    .description(
      'consumer-group lag: offsets as kafka-consumer-groups shows them, time lag, and Burrow status',
    )
    .option('-g, --group <regex>', 'only groups whose id fully matches this regular expression')
    .option('-t, --topic <name>', 'only partitions of this topic')
    .option('--problems', 'only partitions (and groups) whose status is not OK')
    .option('--json', 'print the JSON document described in docs/lag.md')
    .option('--watch', 'refresh a terminal view every --interval seconds, with trends')
    .option('--prometheus <port>', 'serve /metrics on this port, refreshed every --interval', port)
    .option(
      '--cluster-name <name>',
      'cluster_name label of the --prometheus metrics (default: the brokers list)',
    )
    .option('--alert', 'exit 0 OK, 1 WARN, 2 ERR (worst group), 3 no group, 4 unreachable')
    .option(
      '--interval <seconds>',
      'seconds between samples (watch, exporter, --samples)',
      positive,
      5,
    )
    .option('--samples <n>', 'take this many samples, --interval apart, before reporting', count, 1)
    .option('--window <seconds>', 'length of the status window', positive, 600)
    .option('--allowed-lag <n>', 'lag at or below this counts as caught up', nonNegativeInt, 0)
    .option('--min-samples <n>', 'samples a window needs before WARN/STALL/REWIND', count, 3)
    .option('--state-file <path>', 'where samples persist between runs (default: per cluster)')
    .option('--no-state', 'neither read nor write the sample file')
    .option('--timeout <seconds>', 'give up on an unanswered cluster after this long', positive, 15)
    .addOption(new Option('--color', 'colour the status even when not on a terminal'))
    .addOption(new Option('--no-color', 'never colour'));
  addConnectionFlags(command);
  command.exitOverride((error) => {
    // commander's usage errors would exit 1, which --alert means WARN: use 5 instead.
    process.exit(error.exitCode === 0 ? 0 : exitCodes.usage);
  });
  command.action(async (flags: LagFlags) => {
    process.exitCode = await runLag(flags);
  });
  return command;
}

async function runLag(flags: LagFlags): Promise<number> {
  const modes = [flags.json, flags.watch, flags.prometheus !== undefined].filter(Boolean).length;
  if (modes > 1) {
    return usage('choose one of --json, --watch, --prometheus');
  }
  let query: LagQuery;
  let monitor: LagMonitor;
  const settings: EvaluatorSettings = {
    windowMs: flags.window * 1000,
    allowedLag: flags.allowedLag,
    minSamples: flags.minSamples ?? defaultEvaluatorSettings.minSamples,
  };
  try {
    query = {
      ...(flags.group === undefined ? {} : { groupPattern: new RegExp(flags.group) }),
      ...(flags.topic === undefined ? {} : { topic: flags.topic }),
    };
    const config = connectionConfigFromFlags(flags);
    monitor = new LagMonitor({
      source: new KafkaLagSource(config),
      query,
      settings,
      stateFile: flags.state
        ? (flags.stateFile ?? defaultSampleFile(config.brokers, process.env))
        : undefined,
      timeoutMs: flags.timeout * 1000,
      brokers: config.brokers,
    });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SyntaxError) {
      return usage(error.message);
    }
    throw error;
  }
  const colour = flags.color ?? (process.stdout.isTTY && process.env['NO_COLOR'] === undefined);
  try {
    if (flags.watch === true) {
      return await runWatch(monitor, {
        colour,
        intervalMs: flags.interval * 1000,
        settings,
        stop: stopSignal(),
      });
    }
    if (flags.prometheus !== undefined) {
      return await runExporter(monitor, {
        port: flags.prometheus,
        intervalMs: flags.interval * 1000,
        clusterName: flags.clusterName ?? monitor.brokers.join(','),
        stop: stopSignal(),
      });
    }
    let report = await monitor.look();
    for (let i = 1; i < flags.samples; i++) {
      await sleep(flags.interval * 1000);
      report = await monitor.look();
    }
    const shown = flags.problems === true ? monitor.problemsOnly(report) : report;
    await write(
      flags.json === true
        ? renderJson(shown, { brokers: monitor.brokers, settings })
        : renderTable(shown, { colour }),
    );
    return flags.alert === true ? exitCodeForStatus(report.status) : exitCodes.ok;
  } catch (error) {
    if (error instanceof LagError) {
      process.stderr.write(`error: ${error.message}\n`);
      const code = exitCodeForError(error.code);
      // kafkajs may still be waiting on a broker that never answers (hung, SIGSTOPped), and
      // closing waits with it. The code is set now and the exit forced with it: a bare
      // process.exit() here once ended a hung-broker run with 0, which cron reads as OK.
      process.exitCode = code;
      setTimeout(() => process.exit(code), closeGraceMs).unref();
      return code;
    }
    throw error;
  } finally {
    await Promise.race([monitor.close(), sleep(closeGraceMs)]);
  }
}

/** How long closing the Kafka connections may take before the process exits anyway. */
const closeGraceMs = 1_000;

/** Aborted on Ctrl-C or SIGTERM, so the loops end cleanly and the sample file is written. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return controller.signal;
}

/** Resolves once written: piped output must be flushed before the process may exit. */
function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}

function usage(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return exitCodes.usage;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('must be a positive number');
  }
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a whole number >= 1');
  }
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError('must be a whole number >= 0');
  }
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    throw new InvalidArgumentError('must be a TCP port');
  }
  return n;
}
