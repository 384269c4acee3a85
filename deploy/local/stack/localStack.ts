import { KafkaService } from './kafkaService.js';
import { RegistryService } from './registryService.js';
import type { LocalService, ServiceStatus } from './service.js';
import type { StackSettings } from './stackSettings.js';

/**
 * The local stack: Kafka first, then the registry that stores its schemas in Kafka. `up` is
 * idempotent; `down` stops in reverse order and leaves no process behind.
 */
export class LocalStack {
  readonly kafka: KafkaService;
  readonly registry: RegistryService;
  private readonly services: readonly LocalService[];

  constructor(settings: StackSettings) {
    this.kafka = new KafkaService(settings);
    this.registry = new RegistryService(settings);
    this.services = [this.kafka, this.registry];
  }

  async up(
    onProgress: (service: string, outcome: 'starting' | 'started' | 'already-running') => void,
  ): Promise<void> {
    for (const service of this.services) {
      onProgress(service.name, await service.up(() => onProgress(service.name, 'starting')));
    }
  }

  async down(
    onProgress: (service: string, outcome: 'stopped' | 'killed' | 'not-running') => void,
  ): Promise<void> {
    for (const service of [...this.services].reverse()) {
      onProgress(service.name, await service.down());
    }
  }

  status(): Promise<ServiceStatus[]> {
    return Promise.all(this.services.map((service) => service.status()));
  }
}
