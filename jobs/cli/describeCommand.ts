import { writeFileSync } from 'node:fs';

import { Command } from 'commander';

import {
  describeFormats,
  describeJob,
  type DescribeFormat,
} from '../../operators/describe/index.js';
import { ReelstreamError, errorCodes } from '../../operators/index.js';
import { loadJobModule } from './userJobModule.js';

interface DescribeFlags {
  readonly format: string;
  readonly output?: string;
}

/**
 * `reelstream describe <module>`: the DAG of a job module (its default export is
 * `defineJob({...})`) without running it or reaching Kafka: sub-topologies, processors, state
 * stores and every topic the job reads, writes or creates (repartition and changelog topics
 * named as the job names them). As text, as a Mermaid flowchart for Markdown, or as a
 * standalone SVG picture, to stdout or to a file.
 */
export function describeCommand(): Command {
  return new Command('describe')
    .description(
      "print a job module's DAG (sub-topologies, processors, stores, topics) as text, Mermaid or SVG",
    )
    .argument('<module>', 'the job module: a .js file, or a .ts file in a project with tsx')
    .option('--format <format>', `what to print: ${describeFormats.join(', ')}`, 'text')
    .option('--output <file>', 'write it to this file instead of stdout')
    .action(async (modulePath: string, flags: DescribeFlags) => {
      const format = describeFormatOf(flags.format);
      const { definition } = await loadJobModule(modulePath);
      let described: string;
      try {
        described = describeJob(definition.pipeline, definition.applicationId, format);
      } catch (error) {
        // The topology's own checks (a topic read twice, a store in two sub-topologies): the
        // module's pipeline is wrong, which is the user's to fix, like any other bad input.
        throw new ReelstreamError(
          errorCodes.invalidConfig,
          `${modulePath}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      if (flags.output === undefined) {
        process.stdout.write(described);
        return;
      }
      try {
        writeFileSync(flags.output, described);
      } catch (error) {
        throw new ReelstreamError(
          errorCodes.invalidConfig,
          `--output ${flags.output}: cannot write it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          { cause: error },
        );
      }
    });
}

function describeFormatOf(text: string): DescribeFormat {
  const format = describeFormats.find((f) => f === text);
  if (format === undefined) {
    throw new ReelstreamError(
      errorCodes.invalidConfig,
      `--format must be one of ${describeFormats.join(', ')}, not ${JSON.stringify(text)}`,
    );
  }
  return format;
}
