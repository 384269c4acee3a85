import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { atNice, cliInvocation } from '../cli/cliInvocation.js';
import type { TrafficSummary } from '../generator/trafficJob.js';
import { procfsProcess, type MeasuredProcess } from './resourceSampler.js';

/** How long the generator may take to stop after SIGTERM before it is killed. */
const stopTimeoutMs = 10_000;

/** The generator's settings: the same as the demo's own `TrafficGenerator` (its population). */
export interface GeneratorSettings {
  readonly seed: number;
  readonly rate: number;
  readonly scale: number;
  readonly startTime: number;
  readonly seconds: number;
}

/**
 * The traffic generator as a process of its own (`reelstream generate`), as users' devices are
 * not part of any deployment: the serving process's event loop carries the serving job and the
 * request client, not the encoding and producing of 300 events a second (its event-loop delay
 * is what issue 20 asks about). It makes the same traffic as an in-process generator of the
 * same settings: the demo keeps one of those for the population it asks about. Its lines come
 * to `log`; its CPU and memory to the demo's samples over procfs.
 */
export class GeneratorProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #summary: TrafficSummary | undefined;

  private constructor(child: ChildProcess, log: (line: string) => void) {
    this.#child = child;
    this.#exited = once(child, 'exit').then(([code]: unknown[]) =>
      typeof code === 'number' ? code : null,
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) {
        continue;
      }
      createInterface({ input: stream }).on('line', (line) => {
        const produced = /^produced (\d+) events in ([\d.]+) s \(\d+\/s\): (.*)$/.exec(line);
        if (produced !== null) {
          this.#summary = {
            produced: Number(produced[1]),
            seconds: Number(produced[2]),
            byKind: produced[3] ?? '',
          };
        }
        log(line);
      });
    }
  }

  /** `nice`: the process's nice value (default 0). */
  static start(
    settings: GeneratorSettings,
    log: (line: string) => void,
    nice = 0,
  ): GeneratorProcess {
    const cli = atNice(
      cliInvocation([
        'generate',
        ...['--seed', String(settings.seed), '--rate', String(settings.rate)],
        ...['--scale', String(settings.scale), '--start', String(settings.startTime)],
        ...['--duration', String(settings.seconds), '--speed', '1'],
        ...['--no-kuairand', '--progress', '10'],
      ]),
      nice,
    );
    const child = spawn(cli.command, cli.args, {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new GeneratorProcess(child, log);
  }

  /** Resolves with what it produced once it has ended by itself; rejects if it failed. */
  async done(): Promise<TrafficSummary> {
    const code = await this.#exited;
    if (code !== 0 || this.#summary === undefined) {
      throw new Error(`the generator exited with ${String(code)} before its summary`);
    }
    return this.#summary;
  }

  /** Stops it early (SIGTERM: it flushes what it has), killing it if that takes too long. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      return;
    }
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), stopTimeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** The process for the demo's samples: CPU and RSS from procfs (its heap is not known: 0). */
  measured(name: string): MeasuredProcess {
    return procfsProcess(name, this.#child.pid);
  }
}
