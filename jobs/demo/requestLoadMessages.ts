/**
 * What the demo's process and its request load (requestLoadMain.ts, a process of its own) say
 * to each other over the IPC channel.
 */
import type { ConnectionConfig } from '../../operators/index.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';

/** What the demo's process gives the load. */
export interface RequestLoadSettings {
  readonly connection: ConnectionConfig;
  readonly ratePerSecond: number;
  /** The users asked for, one drawn at random per request. */
  readonly users: readonly { readonly id: string; readonly region: string }[];
  /** A request without a reply by then counts as failed. */
  readonly timeoutMs: number;
}

/** The load's settings: the first message from the demo's process. */
export interface SettingsMessage {
  readonly kind: 'settings';
  readonly settings: RequestLoadSettings;
}

/** What the load tells the demo's process. */
export type RequestLoadMessage =
  | { readonly kind: 'started' }
  | {
      readonly kind: 'reply';
      readonly reply: RecommendationReply;
      readonly endToEndMs: number;
      /** When the reply arrived (wall clock ms, as the reply's `servedTime`). */
      readonly receivedAtMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly reason: string;
      /** When the request was sent, in seconds after the load started. */
      readonly sentAtSeconds: number;
    }
  | { readonly kind: 'done' };

/** The message that ends the load (the replies in flight are still awaited). */
export const stopLoad = 'stop';
