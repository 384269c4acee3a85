import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { connection } from '../support/integration.js';

/**
 * A real Java consumer: Apache Kafka's own console consumer from the jars the local stack runs,
 * so groups are formed by the reference client (KIP-848's `consumer` protocol included), not by
 * kafkajs. Its records go nowhere; it runs until {@link JavaConsumer.stop}.
 */
export class JavaConsumer {
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(
    libs: string,
    options: {
      group: string;
      topic: string;
      clientId: string;
      /** `consumer` (KIP-848) or `classic`. */
      protocol: 'consumer' | 'classic';
      /** false: never commits, so partitions it owns keep whatever offset they had. */
      commit: boolean;
    },
  ) {
    const properties = {
      'group.protocol': options.protocol,
      'client.id': options.clientId,
      'enable.auto.commit': String(options.commit),
      'auto.commit.interval.ms': '200',
      'auto.offset.reset': 'earliest',
    };
    this.child = spawn(
      'java',
      [
        '-Xmx128m',
        '-XX:TieredStopAtLevel=1', // starts faster; these consumers do little work
        '-cp',
        join(libs, '*'),
        'org.apache.kafka.tools.consumer.ConsoleConsumer',
        '--bootstrap-server',
        connection.brokers.join(','),
        '--topic',
        options.topic,
        '--group',
        options.group,
        ...Object.entries(properties).flatMap(([k, v]) => ['--consumer-property', `${k}=${v}`]),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4_000);
    });
  }

  /** What it said on stderr, for a failing test's message. */
  get log(): string {
    return this.stderr;
  }

  /** SIGTERM: the console consumer's shutdown hook closes the consumer, which leaves the group. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
