import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

import { LocalStack } from './localStack.js';
import { stackSettingsFromEnv } from './stackSettings.js';

/** Loopback ports of a faulty stack; apart from the shared stack's 9092/9093/8081. */
export interface FaultyStackPorts {
  readonly kafka: number;
  readonly controller: number;
  readonly registry: number;
}

/**
 * A broker and registry of their own, started by the stack's own code in `dir` on `ports`, that
 * a test may kill, pause and restart without touching the shared stack other tests use. The
 * faults are the ones production brings: a broker killed (-9) and started again on its data,
 * a broker frozen (SIGSTOP: connections open, nothing answers) and thawed, a registry down.
 */
export class FaultyStack {
  readonly stack: LocalStack;
  /** What a child process needs to reach this stack (REELSTREAM_BROKERS, …). */
  readonly env: Readonly<Record<string, string>>;

  private constructor(stack: LocalStack, env: Record<string, string>) {
    this.stack = stack;
    this.env = env;
  }

  static async start(dir: string, ports: FaultyStackPorts): Promise<FaultyStack> {
    mkdirSync(dir, { recursive: true });
    const env = {
      REELSTREAM_STACK_DIR: join(dir, 'stack'),
      REELSTREAM_KAFKA_PORT: String(ports.kafka),
      REELSTREAM_KAFKA_CONTROLLER_PORT: String(ports.controller),
      REELSTREAM_REGISTRY_PORT: String(ports.registry),
      REELSTREAM_BROKERS: `127.0.0.1:${ports.kafka}`,
      REELSTREAM_REGISTRY_URL: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
    };
    // A broker left on these ports by another run would answer for this one, and the faults
    // would hit a process this stack does not own.
    for (const port of [ports.kafka, ports.controller, ports.registry]) {
      if (await portAnswers(port)) {
        throw new Error(`port ${port} is in use (another stack, or a run that did not clean up)`);
      }
    }
    const stack = new LocalStack(stackSettingsFromEnv({ ...process.env, ...env }));
    await stack.up(() => undefined);
    return new FaultyStack(stack, env);
  }

  /** SIGKILL to the broker's process group: no clean shutdown, log recovery at the next start. */
  async killBroker(): Promise<void> {
    await this.signal('kafka', 'SIGKILL');
    await waitFor(async () => (await this.pid('kafka')) === undefined, 10_000);
  }

  /** Starts the broker on its data; resolves once it answers a metadata request. */
  async startBroker(): Promise<void> {
    await this.stack.kafka.up();
  }

  pauseBroker(): Promise<void> {
    return this.signal('kafka', 'SIGSTOP');
  }

  resumeBroker(): Promise<void> {
    return this.signal('kafka', 'SIGCONT');
  }

  async stopRegistry(): Promise<void> {
    await this.stack.registry.down();
  }

  async startRegistry(): Promise<void> {
    await this.stack.registry.up();
  }

  /** Stops both (a paused broker is resumed first, or it could not stop). */
  async down(): Promise<void> {
    await this.resumeBroker().catch(() => undefined);
    await this.stack.down(() => undefined);
  }

  /**
   * The service's pid from its pid file (`stack status` would ask the service, and a paused
   * broker does not answer), when that process is alive.
   */
  private pid(service: 'kafka' | 'registry'): Promise<number | undefined> {
    const file = join(this.env['REELSTREAM_STACK_DIR'] ?? '', `${service}.pid`);
    if (!existsSync(file)) {
      return Promise.resolve(undefined);
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    try {
      process.kill(pid, 0);
      return Promise.resolve(pid);
    } catch {
      return Promise.resolve(undefined);
    }
  }

  /** Signals the service's process group (the JVM and anything it started). */
  private async signal(service: 'kafka' | 'registry', signal: NodeJS.Signals): Promise<void> {
    const pid = await this.pid(service);
    if (pid === undefined) {
      throw new Error(`${service} is not running`);
    }
    process.kill(-pid, signal);
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether something accepts TCP connections on the loopback port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
