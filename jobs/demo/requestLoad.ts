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
      readonly failure: (reason: string) => void;
    },
  ): Promise<RequestLoad> {
    // The worker's module beside this one: .js when built, .ts under tsx (its loader is in the
    // worker's execArgv, inherited from this process).
    const worker = new Worker(
      new URL(`./requestLoadWorker${extname(new URL(import.meta.url).pathname)}`, import.meta.url),
      { workerData: settings },
    );
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
            on.failure(message.reason);
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
