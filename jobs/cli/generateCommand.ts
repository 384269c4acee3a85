import { Command } from 'commander';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import {
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
  resolveGenerateSettings,
  scale,
  speed,
  time,
  type GenerateFlags,
} from '../generator/generatorFlags.js';
import { kuairandPopulation } from '../generator/kuairandPopulation.js';
import { provisionTopics } from '../generator/provisionTopics.js';
import { TrafficGenerator } from '../generator/trafficGenerator.js';
import { produceTraffic } from '../generator/trafficJob.js';

/** `reelstream generate`: synthetic recommender traffic, produced to Kafka at a rate. */
export function generateCommand(): Command {
  return new Command('generate')
    .description(
      'produce realistic synthetic traffic (impressions, clicks, heartbeats, watch ends, engagements, uploads) to Kafka; see docs/generator.md',
    )
    .option(
      '--rate <events/s>',
      'events per second of event time at the start (the diurnal cycle moves it from there)',
      positiveNumber,
      1_000,
    )
    .option(
      '--events <n>',
      'stop after this many events (catalogue snapshot included)',
      positiveInteger,
    )
    .option('--duration <seconds>', 'stop after this much event time', positiveNumber)
    .option(
      '--speed <x>',
      'event time per wall time: 1 is real time, "max" does not wait',
      speed,
      1,
    )
    .option(
      '--scale <f>',
      'fraction of full scale (100k uploads/hour; built-in users and videos)',
      scale,
      0.01,
    )
    .option('--seed <n>', 'random seed; equal flags give identical traffic', nonNegativeInteger, 42)
    .option(
      '--start <time>',
      'event time of the start (ISO-8601 or epoch ms); default now, or so that a faster-than-real-time run ends now',
      time,
    )
    .option(
      '--kuairand <dir>',
      'KuaiRand-Pure feature tables to take users and videos from (default: ../shared/data/kuairand-pure-features when present)',
    )
    .option(
      '--no-kuairand',
      'use the built-in population even when the KuaiRand tables are present',
    )
    .option('--no-catalog', 'do not produce the initial catalogue to catalog.videos first')
    .option('--progress <seconds>', 'seconds between progress lines', positiveNumber, 5)
    .option('--setup-only', 'only create the topics and register the schemas, then exit')
    .action(async (flags: GenerateFlags) => {
      const log = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      const connection = connectionConfigFromEnv();
      if (flags.setupOnly === true) {
        const client = new KafkajsStreamClient(
          createKafkaJs(connection, { clientId: 'reelstream-generator' }),
        );
        const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
        const done = await provisionTopics({ client, schemas });
        log(`topics ready (${done.topics}), value schemas registered (${done.schemas})`);
        return;
      }
      const settings = resolveGenerateSettings(flags, Date.now());
      const traffic = new TrafficGenerator({
        seed: settings.seed,
        rate: settings.rate,
        scale: settings.scale,
        startTime: settings.startTime,
        ...(settings.kuairandDir === undefined
          ? {}
          : {
              population: kuairandPopulation({
                dir: settings.kuairandDir,
                seed: settings.seed,
                startTime: settings.startTime,
              }),
            }),
      });
      const population = traffic.population;
      log(
        `population ${population.source}: ${population.users.length} users, ${population.videos.length} videos, ` +
          `${population.categories.length} categories; ${settings.rate} events/s, scale ${settings.scale}, ` +
          `speed ${settings.speed}, seed ${settings.seed}, start ${new Date(settings.startTime).toISOString()}`,
      );
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await produceTraffic({
          connection,
          traffic,
          limits: {
            ...(settings.maxEvents === undefined ? {} : { maxEvents: settings.maxEvents }),
            ...(settings.durationMs === undefined ? {} : { durationMs: settings.durationMs }),
          },
          speed: settings.speed,
          catalog: settings.catalog,
          progressIntervalMs: settings.progressIntervalMs,
          log,
          signal: stop.signal,
        });
        log(
          `produced ${summary.produced} events in ${summary.seconds.toFixed(1)} s ` +
            `(${Math.round(summary.produced / Math.max(summary.seconds, 1e-3))}/s): ${summary.byKind}`,
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
