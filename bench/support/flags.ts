import { Command, InvalidArgumentError, Option } from 'commander';

import { engineListParser } from './report.js';

/** commander parser for a positive integer flag; accepts 1_000_000. */
export function positiveInt(value: string): number {
  const parsed = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected a positive integer');
  }
  return parsed;
}

/** The flags every end-to-end bench (bench/stateless, bench/stateful) takes. */
export interface BenchFlags<TEngine extends string> {
  readonly records: number;
  readonly engines: TEngine[];
  readonly repeat: number;
  readonly timeoutS: number;
  readonly forceProduce: boolean;
  readonly json?: string;
}

/**
 * A command with the {@link BenchFlags}: `--records`, `--engines` (default: all of `engines`),
 * `--repeat`, `--timeout-s`, `--force-produce`, `--json`. Add a bench's own flags, then parse.
 */
export function benchCommand<TEngine extends string>(options: {
  name: string;
  description: string;
  engines: readonly TEngine[];
}): Command {
  return new Command(options.name)
    .description(options.description)
    .option('--records <n>', 'input records', positiveInt, 1_000_000)
    .addOption(
      new Option('--engines <list>', 'engines to run, comma-separated')
        .default([...options.engines])
        .argParser(engineListParser(options.engines)),
    )
    .option('--repeat <n>', 'runs per engine', positiveInt, 1)
    .option('--timeout-s <n>', 'give up on an engine run after this long', positiveInt, 600)
    .option('--force-produce', 'produce the input again even when it is there', false)
    .option('--json <file>', 'also write the results as JSON to this file');
}
