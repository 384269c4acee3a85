import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import {
  stopLoad,
  type RequestLoadMessage,
  type RequestLoadSettings,
  type SettingsMessage,
} from './requestLoadMessages.js';
import { procfsProcess, type MeasuredProcess } from './resourceSampler.js';

/** How long the load may take to end after it was told to stop before it is killed. */
const stopTimeoutMs = 30_000;

/**
 * The demo's request load as a process of its own (requestLoadMain.ts says why), seen from the
 * demo's process: each reply and failure handed to the callbacks as it comes.
 */
export class RequestLoad {
  readonly #child: ChildProcess;
  readonly #finished: Promise<void>;

  private constructor(child: ChildProcess, finished: Promise<void>) {
    this.#child = child;
    this.#finished = finished;
  }

  /** Starts the load; resolves once its request client is ready and the first request is sent. */
  static async start(
    settings: RequestLoadSettings,
    on: {
      readonly reply: (
        reply: RecommendationReply,
        endToEndMs: number,
        receivedAtMs: number,
      ) => void;
      readonly failure: (reason: string, sentAtSeconds: number) => void;
    },
  ): Promise<RequestLoad> {
    const child = childOf(settings);
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    let done = false;
    child.on('message', (message: RequestLoadMessage) => {
      switch (message.kind) {
        case 'started':
          started();
          break;
        case 'reply':
          on.reply(message.reply, message.endToEndMs, message.receivedAtMs);
          break;
        case 'failed':
          on.failure(message.reason, message.sentAtSeconds);
          break;
        case 'done':
          done = true;
          break;
      }
    });
    const finished = once(child, 'exit').then(([code, signal]: unknown[]) => {
      if (!done) {
        const how = typeof signal === 'string' ? signal : `exit code ${String(code)}`;
        throw new Error(`the request load's process ended (${how}) before it was done`);
      }
    });
    // Until the demo awaits it, a failure must not end the process as unhandled.
    finished.catch(() => undefined);
    await Promise.race([ready, finished]);
    return new RequestLoad(child, finished);
  }

  /** Stops sending; resolves once every reply in flight has come (or timed out). */
  async stop(): Promise<void> {
    if (this.#child.connected) {
      this.#child.send(stopLoad);
    }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), stopTimeoutMs);
    try {
      await this.#finished;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Settles when the load has ended: after {@link stop}, or when its process failed. */
  finished(): Promise<void> {
    return this.#finished;
  }

  /** The process for the demo's samples: CPU and RSS from procfs. */
  measured(name: string): MeasuredProcess {
    return procfsProcess(name, this.#child.pid);
  }
}

/**
 * The load's process: its module beside this one, .js when built, .ts under tsx (the tests),
 * run by this node with this process's loader flags. Its settings (the users: a thousand or
 * more) go over the IPC channel, as structured clones, like every message after them.
 */
function childOf(settings: RequestLoadSettings): ChildProcess {
  const here = fileURLToPath(import.meta.url);
  const child = fork(join(dirname(here), `requestLoadMain${extname(here)}`), [], {
    execArgv: process.execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first: SettingsMessage = { kind: 'settings', settings };
  child.send(first);
  return child;
}
