import { InvalidArgumentError } from 'commander';

import { ConfigError } from '../../operators/index.js';
import { defaultKuairandDir, hasKuairand } from './kuairandPopulation.js';

/** The flags of `reelstream generate` as commander hands them over. */
export interface GenerateFlags {
  readonly rate: number;
  readonly scale: number;
  readonly seed: number;
  readonly speed: number;
  readonly progress: number;
  readonly events?: number;
  readonly duration?: number;
  readonly start?: number;
  /** A directory, `false` for `--no-kuairand`, undefined to look in the default place. */
  readonly kuairand?: string | false;
  readonly catalog: boolean;
  readonly setupOnly?: boolean;
}

/** What the flags resolve to. */
export interface GenerateSettings {
  readonly rate: number;
  readonly scale: number;
  readonly seed: number;
  readonly speed: number;
  readonly progressIntervalMs: number;
  readonly maxEvents?: number;
  readonly durationMs?: number;
  readonly startTime: number;
  /** The KuaiRand-Pure directory to load, or undefined for the built-in population. */
  readonly kuairandDir?: string;
  readonly catalog: boolean;
}

/** A number > 0 (commander argument parser). */
export function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive number`);
  }
  return value;
}

/** An integer > 0. */
export function positiveInteger(raw: string): number {
  const value = positiveNumber(raw);
  if (!Number.isInteger(value)) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}

/** An integer >= 0 (seeds). */
export function nonNegativeInteger(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`"${raw}" is not an integer from 0 to 4294967295`);
  }
  return value;
}

/** A speed factor: a positive number, or `max` for no pacing. */
export function speed(raw: string): number {
  return raw === 'max' ? Infinity : positiveNumber(raw);
}

/** A scale factor in (0, 1]: 1 is the seed's full scale (100k uploads per hour). */
export function scale(raw: string): number {
  const value = positiveNumber(raw);
  if (value > 1) {
    throw new InvalidArgumentError(`"${raw}" is above 1 (1 is full scale)`);
  }
  return value;
}

/** A time: ISO-8601 (`2024-05-01T12:00:00Z`) or Unix epoch milliseconds. */
export function time(raw: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(`"${raw}" is neither an ISO-8601 time nor epoch milliseconds`);
  }
  return value;
}

/**
 * Checks the flags together and fills in the defaults that depend on each other: when event
 * time runs faster than the wall clock, the traffic must be bounded and starts in the past so
 * it ends about now (brokers refuse timestamps more than an hour ahead).
 */
export function resolveGenerateSettings(flags: GenerateFlags, now: number): GenerateSettings {
  if (flags.speed > 1 && flags.events === undefined && flags.duration === undefined) {
    throw new ConfigError(
      '--speed',
      'above 1, event time runs ahead of the clock: give --events or --duration too',
    );
  }
  const durationMs = flags.duration === undefined ? undefined : flags.duration * 1000;
  const spanMs = durationMs ?? ((flags.events ?? 0) / flags.rate) * 1000;
  const startTime = flags.start ?? (flags.speed > 1 ? Math.round(now - spanMs) : now);
  let kuairandDir: string | undefined;
  if (typeof flags.kuairand === 'string') {
    if (!hasKuairand(flags.kuairand)) {
      throw new ConfigError(
        '--kuairand',
        `${flags.kuairand} does not hold user_features_pure.csv and video_features_basic_pure.csv`,
      );
    }
    kuairandDir = flags.kuairand;
  } else if (flags.kuairand === undefined && hasKuairand(defaultKuairandDir)) {
    kuairandDir = defaultKuairandDir;
  }
  return {
    rate: flags.rate,
    scale: flags.scale,
    seed: flags.seed,
    speed: flags.speed,
    progressIntervalMs: flags.progress * 1000,
    ...(flags.events === undefined ? {} : { maxEvents: flags.events }),
    ...(durationMs === undefined ? {} : { durationMs }),
    startTime,
    ...(kuairandDir === undefined ? {} : { kuairandDir }),
    catalog: flags.catalog,
  };
}
