import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createKafkaJs } from '../../../operators/connectors/kafka/kafkajsClient.js';
import { connectionConfigFromEnv } from '../../../operators/index.js';
import { fetchArtifacts } from './fetchArtifacts.js';
import { ManagedProcess } from './managedProcess.js';
import {
  renderTemplate,
  ServiceStartError,
  type LocalService,
  type ServiceStatus,
} from './service.js';
import { repoRoot, type StackSettings } from './stackSettings.js';
import { waitUntil } from './waitUntil.js';

const kafkaDir = join(repoRoot, 'deploy', 'local', 'kafka');

/**
 * A single-node Apache Kafka broker in KRaft mode (combined broker and controller), run from
 * Apache Kafka's own jars fetched from Maven Central by `deploy/local/kafka/fetch.sh`.
 */
export class KafkaService implements LocalService {
  readonly name = 'kafka';
  readonly endpoint: string;
  private readonly settings: StackSettings;
  private readonly dataDir: string;
  private readonly process: ManagedProcess;

  constructor(settings: StackSettings) {
    this.settings = settings;
    this.endpoint = `${settings.host}:${settings.kafkaPort}`;
    this.dataDir = join(settings.stateDir, 'kafka');
    this.process = new ManagedProcess({
      name: this.name,
      pidFile: join(settings.stateDir, 'kafka.pid'),
      logFile: join(settings.stateDir, 'logs', 'kafka.out'),
    });
  }

  async up(): Promise<'started' | 'already-running'> {
    if (this.process.runningPid() !== undefined && (await this.answers())) {
      return 'already-running';
    }
    const libs = fetchArtifacts('kafka', this.settings.cacheDir);
    mkdirSync(join(this.settings.stateDir, 'logs'), { recursive: true });
    const propsFile = this.writeServerProperties();
    this.formatStorageOnce(libs, propsFile);
    this.process.start('java', [...this.jvmArgs(libs), 'kafka.Kafka', propsFile]);
    const outcome = await waitUntil({
      probe: () => this.answers(),
      stillAlive: () => this.process.runningPid() !== undefined,
      timeoutMs: this.settings.startTimeoutMs,
    });
    if (outcome !== 'ready') {
      const reason =
        outcome === 'died'
          ? 'the broker process exited'
          : `no metadata answer on ${this.endpoint} within ${this.settings.startTimeoutMs / 1000} s`;
      await this.process.stop(5_000);
      throw new ServiceStartError(this.name, reason, this.brokerLogTail());
    }
    return 'started';
  }

  down(): Promise<'stopped' | 'killed' | 'not-running'> {
    // A clean shutdown writes a clean-shutdown marker, so the next start skips log recovery.
    return this.process.stop(30_000);
  }

  async status(): Promise<ServiceStatus> {
    const pid = this.process.runningPid();
    const base = { name: this.name, endpoint: this.endpoint, logFile: this.process.logFile };
    if (pid === undefined) {
      return { ...base, state: 'stopped' };
    }
    return { ...base, pid, state: (await this.answers()) ? 'running' : 'not-answering' };
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
        DATA_DIR: join(this.dataDir, 'data'),
      }),
    );
    return file;
  }

  /** KRaft storage must be formatted once with a cluster id before the first start. */
  private formatStorageOnce(libs: string, propsFile: string): void {
    if (existsSync(join(this.dataDir, 'data', 'meta.properties'))) {
      return;
    }
    const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
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

  private brokerLogTail(): string {
    const serverLog = join(this.settings.stateDir, 'logs', 'server.log');
    const tail = existsSync(serverLog)
      ? readFileSync(serverLog, 'utf8').split('\n').slice(-30).join('\n')
      : '';
    return `${this.process.logTail(20)}\n${tail}`.trim();
  }
}
