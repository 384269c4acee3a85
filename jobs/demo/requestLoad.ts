import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import {
  stopLoad,
  type RequestLoadMessage,
  type RequestLoadSettings,
} from './requestLoadWorker.js';

/**
 * The demo's request load on a worker thread (requestLoadWorker.ts says why), seen from the
 * demo's thread: each reply and failure handed to the callbacks as it comes.
 */
export class RequestLoad {
  readonly #worker: Worker;
  readonly #finished: Promise<void>;

  private constructor(worker: Worker, finished: Promise<void>) {
    this.#worker = worker;
    this.#finished = finished;
  }

  /** Starts the load; resolves once its request client is ready and the first request is sent. */
  static async start(
    settings: RequestLoadSettings,
    on: {
      readonly reply: (reply: RecommendationReply, endToEndMs: number) => void;
      readonly failure: (reason: string, sentAtSeconds: number) => void;
    },
  ): Promise<RequestLoad> {
    const worker = workerOf(settings);
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const finished = new Promise<void>((resolve, reject) => {
      let done = false;
      worker.on('message', (message: RequestLoadMessage) => {
        switch (message.kind) {
          case 'started':
            started();
            break;
          case 'reply':
            on.reply(message.reply, message.endToEndMs);
            break;
          case 'failed':
            on.failure(message.reason, message.sentAtSeconds);
            break;
          case 'done':
            done = true;
            // Whatever its closed client left scheduled, the thread's work is over.
            void worker.terminate();
            break;
        }
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (done) {
          resolve();
        } else {
          reject(
            new Error(`the request load's thread ended (exit code ${code}) before it was done`),
          );
        }
      });
    });
    await Promise.race([ready, finished]);
    return new RequestLoad(worker, finished);
  }

  /** Stops sending; resolves once every reply in flight has come (or timed out). */
  stop(): Promise<void> {
    this.#worker.postMessage(stopLoad);
    return this.#finished;
  }

  /** Settles when the load has ended: after {@link stop}, or when its thread failed. */
  finished(): Promise<void> {
    return this.#finished;
  }
}

/**
 * The worker, its module beside this one: .js when built; .ts when this module runs under tsx
 * (the tests), where a worker's own entry does not go through tsx's loader (seen on Node 20,
 * with `--import tsx` in its execArgv), so a small script imports it through tsx's API.
 */
function workerOf(settings: RequestLoadSettings): Worker {
  const extension = extname(new URL(import.meta.url).pathname);
  const entry = new URL(`./requestLoadWorker${extension}`, import.meta.url).href;
  if (extension !== '.ts') {
    return new Worker(new URL(entry), { workerData: settings });
  }
  const tsx = import.meta.resolve('tsx/esm/api');
  const script =
    `import(${JSON.stringify(tsx)})` +
    `.then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(script, { eval: true, workerData: settings });
}
