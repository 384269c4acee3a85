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
