import { rmSync } from 'node:fs';

import { LocalStack } from '../../deploy/local/stack/localStack.js';
import type { StackSettings } from '../../deploy/local/stack/stackSettings.js';
import { connectionConfigFromEnv, type ConnectionConfig } from '../../operators/index.js';

/**
 * Runs `work` against a local stack of its own, started empty (its data directory goes first,
 * so every topic, group and schema starts empty) and stopped afterwards: the evaluation and the
 * replay point checks must see only what they write, whatever the default stack holds.
 */
export async function withThrowawayStack<T>(
  settings: StackSettings,
  options: { name: string; log: (line: string) => void },
  work: (connection: ConnectionConfig) => Promise<T>,
): Promise<T> {
  rmSync(settings.stateDir, { recursive: true, force: true });
  const stack = new LocalStack(settings);
  const report = (service: string, outcome: string): void => {
    options.log(`${options.name} stack: ${service} ${outcome}`);
  };
  await stack.up(report);
  try {
    return await work(
      connectionConfigFromEnv({
        REELSTREAM_BROKERS: `127.0.0.1:${settings.kafkaPort}`,
        REELSTREAM_REGISTRY_URL: `http://127.0.0.1:${settings.registryPort}/apis/ccompat/v7`,
      }),
    );
  } finally {
    await stack.down(report);
  }
}
