import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createKafkaJs } from '../../../operators/connectors/kafka/kafkajsClient.js';
import { connectionConfigFromEnv } from '../../../operators/index.js';
import { fetchArtifacts } from './fetchArtifacts.js';
import { ProcessService } from './processService.js';
import { renderTemplate, ServiceStartError } from './service.js';
import { repoRoot, type StackSettings } from './stackSettings.js';

const kafkaDir = join(repoRoot, 'deploy', 'local', 'kafka');

/**
 * A single-node Apache Kafka broker in KRaft mode (combined broker and controller), run from
 * Apache Kafka's own jars fetched from Maven Central by `deploy/local/kafka/fetch.sh`.
 */
export class KafkaService extends ProcessService {
  readonly name = 'kafka';
  readonly endpoint: string;
  private readonly dataDir: string;

  constructor(settings: StackSettings) {
    // A clean shutdown writes a clean-shutdown marker, so the next start skips log recovery.
    super(settings, { id: 'kafka', shutdownGraceMs: 30_000 });
    this.endpoint = `${settings.host}:${settings.kafkaPort}`;
    this.dataDir = join(settings.stateDir, 'kafka', 'data');
  }

  /** A metadata request through kafkajs, the client the framework uses. */
  async answers(): Promise<boolean> {
    const kafka = createKafkaJs(
      { ...connectionConfigFromEnv({}), brokers: [this.endpoint] },
      { clientId: 'reelstream-stack' },
    );
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  protected launch(): void {
    const libs = fetchArtifacts('kafka', this.settings.cacheDir);
    const propsFile = this.writeServerProperties();
    this.formatStorageOnce(libs, propsFile);
    this.process.start('java', [...this.jvmArgs(libs), 'kafka.Kafka', propsFile]);
  }

  /**
   * The broker's console output (WARN and above, with stack traces) and the ERROR lines of its
   * server log: why it stopped (a port in use, a bad setting), without the INFO shutdown noise.
   */
  protected override failureLog(): string {
    const serverLog = join(this.settings.stateDir, 'logs', 'server.log');
    const errors = existsSync(serverLog)
      ? readFileSync(serverLog, 'utf8')
          .split('\n')
          .filter((line) => /\] (ERROR|FATAL) /.test(line))
          .slice(-10)
      : [];
    return [this.process.logTail(40), ...errors].join('\n').trim();
  }

  private jvmArgs(libs: string): string[] {
    return [
      '-Xms256m',
      '-Xmx768m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(kafkaDir, 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${join(this.settings.stateDir, 'logs')}`,
      '-cp',
      join(libs, '*'),
    ];
  }

  private writeServerProperties(): string {
    const template = readFileSync(join(kafkaDir, 'server.properties.template'), 'utf8');
    const file = join(this.settings.stateDir, 'server.properties');
    writeFileSync(
      file,
      renderTemplate(template, {
        HOST: this.settings.host,
        KAFKA_PORT: String(this.settings.kafkaPort),
        CONTROLLER_PORT: String(this.settings.controllerPort),
        DATA_DIR: this.dataDir,
      }),
    );
    return file;
  }

  /** KRaft storage must be formatted once, with a new cluster id, before the first start. */
  private formatStorageOnce(libs: string, propsFile: string): void {
    if (existsSync(join(this.dataDir, 'meta.properties'))) {
      return;
    }
    const clusterId = kraftClusterId();
    const result = spawnSync(
      'java',
      [
        ...this.jvmArgs(libs),
        'kafka.tools.StorageTool',
        'format',
        '--cluster-id',
        clusterId,
        '--config',
        propsFile,
        '--standalone',
      ],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      throw new ServiceStartError(
        this.name,
        'formatting the KRaft storage failed',
        `${result.stdout}\n${result.stderr}`,
      );
    }
  }
}

/**
 * A new KRaft cluster id: 16 random bytes in base64url, as Kafka's own. One in 64 of those
 * begins with '-', which `kafka-storage format` reads as an option ("--cluster-id: expected one
 * argument"), so such ids are drawn again, as Kafka's `Uuid.randomUuid` does.
 */
export function kraftClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) {
      return id;
    }
  }
}
