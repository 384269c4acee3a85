import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { KafkaService } from '../../deploy/local/stack/kafkaService.js';
import { ManagedProcess } from '../../deploy/local/stack/managedProcess.js';
import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';

/**
 * A single-node Kafka of this test's own (the local stack's jars, a temporary data directory,
 * free ports), so it can be paused, killed and restarted: the shared broker other tests use is
 * never touched.
 */
export class PrivateBroker {
  private readonly service: KafkaService;
  private readonly stateDir: string;
  readonly address: string;

  private constructor(stateDir: string, ports: { kafka: number; controller: number }) {
    this.stateDir = stateDir;
    this.service = new KafkaService(
      stackSettingsFromEnv({
        ...process.env,
        REELSTREAM_STACK_DIR: stateDir,
        REELSTREAM_KAFKA_PORT: String(ports.kafka),
        REELSTREAM_KAFKA_CONTROLLER_PORT: String(ports.controller),
      }),
    );
    this.address = this.service.endpoint;
  }

  /** Its ports and data directory; nothing runs until {@link start}. */
  static async create(): Promise<PrivateBroker> {
    return new PrivateBroker(mkdtempSync(join(tmpdir(), 'lag-private-broker-')), {
      kafka: await freePort(),
      controller: await freePort(),
    });
  }

  /** Starts it, or again after {@link kill} (same data: committed offsets survive). */
  async start(): Promise<void> {
    await this.service.up();
  }

  pause(): void {
    process.kill(this.pid(), 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.pid(), 'SIGCONT');
  }

  /** kill -9: no clean shutdown, connections reset. */
  kill(): void {
    process.kill(this.pid(), 'SIGKILL');
  }

  async stop(): Promise<void> {
    try {
      this.resume();
    } catch {
      // not running
    }
    await this.service.down();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  private pid(): number {
    const pid = this.processPid();
    if (pid === undefined) {
      throw new Error('the private broker is not running');
    }
    return pid;
  }

  /** From the pid file the stack's Kafka service writes (KafkaService keeps its handle to itself). */
  private processPid(): number | undefined {
    return new ManagedProcess({
      name: 'kafka',
      pidFile: join(this.stateDir, 'kafka.pid'),
      logFile: join(this.stateDir, 'logs', 'kafka.out'),
    }).runningPid();
  }
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
