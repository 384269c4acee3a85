import { Socket } from 'node:net';

import {
  kafkaSocketOrigin,
  refusedConnections,
} from '../../operators/connectors/kafka/trackedSockets.js';
import { liveTimerOrigins } from './timerOrigins.js';

/** The words of the message below: `reelstream faults` looks for them in its processes' logs. */
export const lingeringMark = 'still open after';

/**
 * A command whose work is done should end. If something it opened is still open a few seconds
 * later (a socket, a timer of a client that was abandoned in an outage), the process would
 * otherwise live on with nothing to do, and a supervisor's SIGTERM would meet a process that
 * has already stopped: name what is left, so it can be fixed, and exit with the command's code.
 */
export function exitIfLingering(): void {
  const lingerMs = 5_000;
  setTimeout(() => {
    const left = [
      process.getActiveResourcesInfo().join(', '),
      ...socketPeers(),
      ...liveTimerOrigins().map((origin) => `timer set by ${origin}`),
      ...refusedConnections().map((refused) => `refused after close: ${refused}`),
    ].join('; ');
    process.stderr.write(
      `reelstream: done, but ${lingeringMark} ${lingerMs} ms: ${left}; exiting\n`,
    );
    process.exit();
  }, lingerMs).unref();
}

/** Where the open TCP sockets lead (broker, registry, query endpoint): what to look for. */
function socketPeers(): string[] {
  // Undocumented but long-standing; the documented getActiveResourcesInfo() gives only types.
  const handles = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  return handles
    .filter(
      (handle): handle is Socket => handle instanceof Socket && handle.remotePort !== undefined,
    )
    .map((socket) => {
      const peer = `socket to ${socket.remoteAddress ?? '?'}:${String(socket.remotePort)}`;
      const origin = kafkaSocketOrigin(socket);
      return origin === undefined ? peer : `${peer} (opened by ${origin})`;
    });
}
