import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { fetchArtifacts } from './fetchArtifacts.js';
import { ManagedProcess } from './managedProcess.js';
import { ServiceStartError, type LocalService, type ServiceStatus } from './service.js';
import type { StackSettings } from './stackSettings.js';
import { waitUntil } from './waitUntil.js';

/**
 * The Confluent-compatible schema registry: Apicurio Registry, built from Maven Central by
 * `deploy/local/registry/fetch.sh`, serving the Confluent API under `/apis/ccompat/v7` and
 * keeping its schemas in the local Kafka (kafkasql storage), as Confluent's registry and
 * Karapace do. Karapace, the first choice, is not published on PyPI (see deploy/local/README.md).
 */
export class RegistryService implements LocalService {
  readonly name = 'schema-registry';
  readonly endpoint: string;
  private readonly settings: StackSettings;
  private readonly process: ManagedProcess;

  constructor(settings: StackSettings) {
    this.settings = settings;
    this.endpoint = `http://${settings.host}:${settings.registryPort}/apis/ccompat/v7`;
    this.process = new ManagedProcess({
      name: this.name,
      pidFile: join(settings.stateDir, 'registry.pid'),
      logFile: join(settings.stateDir, 'logs', 'registry.out'),
    });
  }

  async up(): Promise<'started' | 'already-running'> {
    if (this.process.runningPid() !== undefined && (await this.answers())) {
      return 'already-running';
    }
    const appDir = fetchArtifacts('registry', this.settings.cacheDir);
    mkdirSync(join(this.settings.stateDir, 'logs'), { recursive: true });
    this.process.start('java', this.javaArgs(appDir));
    const outcome = await waitUntil({
      probe: () => this.answers(),
      stillAlive: () => this.process.runningPid() !== undefined,
      timeoutMs: this.settings.startTimeoutMs,
    });
    if (outcome !== 'ready') {
      const reason =
        outcome === 'died'
          ? 'the registry process exited'
          : `GET ${this.endpoint}/subjects did not answer within ${this.settings.startTimeoutMs / 1000} s`;
      await this.process.stop(5_000);
      throw new ServiceStartError(this.name, reason, this.process.logTail());
    }
    return 'started';
  }

  down(): Promise<'stopped' | 'killed' | 'not-running'> {
    return this.process.stop(20_000);
  }

  async status(): Promise<ServiceStatus> {
    const pid = this.process.runningPid();
    const base = { name: this.name, endpoint: this.endpoint, logFile: this.process.logFile };
    if (pid === undefined) {
      return { ...base, state: 'stopped' };
    }
    return { ...base, pid, state: (await this.answers()) ? 'running' : 'not-answering' };
  }

  /** `GET /subjects` answers with a JSON array once the registry has caught up with its journal. */
  async answers(): Promise<boolean> {
    try {
      const response = await fetch(`${this.endpoint}/subjects`, {
        signal: AbortSignal.timeout(2_000),
      });
      return response.ok && Array.isArray(await response.json());
    } catch {
      return false;
    }
  }

  private javaArgs(appDir: string): string[] {
    const { host, registryPort, kafkaPort } = this.settings;
    return [
      '-Xms64m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      `-Dquarkus.http.host=${host}`,
      `-Dquarkus.http.port=${registryPort}`,
      '-Dapicurio.storage.kind=kafkasql',
      `-Dapicurio.kafkasql.bootstrap.servers=${host}:${kafkaPort}`,
      // Apicurio creates its journal topic without a retention setting; the broker's 7-day
      // default would one day delete every schema.
      '-Dapicurio.kafkasql.topic.retention.ms=-1',
      // Shorter polls make the registry catch up with its journal (and answer) about 5 s sooner.
      '-Dapicurio.kafkasql.consumer.poll.timeout=500',
      // Confluent's default; Apicurio's own default is NONE.
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      '-Dquarkus.http.access-log.enabled=false',
      '-jar',
      join(appDir, 'quarkus-run.jar'),
    ];
  }
}
