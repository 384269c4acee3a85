import { join } from 'node:path';

import { fetchArtifacts } from './fetchArtifacts.js';
import { ProcessService } from './processService.js';
import type { StackSettings } from './stackSettings.js';

/**
 * The Confluent-compatible schema registry: Apicurio Registry, fetched from Maven Central by
 * `deploy/local/registry/fetch.sh`, serving the Confluent API under `/apis/ccompat/v7` and
 * keeping its schemas in the local Kafka (kafkasql storage), as Confluent's registry and
 * Karapace do. Karapace, the first choice, is not published on PyPI (see deploy/local/README.md).
 */
export class RegistryService extends ProcessService {
  readonly name = 'schema-registry';
  readonly endpoint: string;

  constructor(settings: StackSettings) {
    // Without a reachable Kafka, Apicurio retries forever and ignores SIGTERM: the grace is short.
    super(settings, { id: 'registry', shutdownGraceMs: 20_000 });
    this.endpoint = `http://${settings.host}:${settings.registryPort}/apis/ccompat/v7`;
  }

  /**
   * Ready once Apicurio's readiness check says UP, which it does only when its kafkasql storage
   * has read its journal to the end. The Confluent API answers some 5–10 s before that, with a
   * partial view: a schema registered then is refused with 409 ("already exists") because the
   * journal it has not yet read holds it.
   */
  async answers(): Promise<boolean> {
    try {
      const response = await fetch(this.readinessUrl, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json()) as { status?: unknown };
      return response.ok && body.status === 'UP';
    } catch {
      return false;
    }
  }

  private get readinessUrl(): string {
    return `http://${this.settings.host}:${this.settings.registryPort}/health/ready`;
  }

  protected launch(): void {
    const appDir = fetchArtifacts('registry', this.settings.cacheDir);
    const { host, registryPort, kafkaPort } = this.settings;
    this.process.start('java', [
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
    ]);
  }
}
