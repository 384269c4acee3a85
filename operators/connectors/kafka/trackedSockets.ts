import net, { type Socket } from 'node:net';
import tls from 'node:tls';

import type { ISocketFactory } from 'kafkajs';

/** kafkajs' own keep-alive delay: a dead peer is noticed without a request in flight. */
const keepAliveDelayMs = 60_000;

/** Where each broker socket still alive was opened: the frames that say which client and why. */
const origins = new WeakMap<Socket, string>();

/**
 * kafkajs' socket factory, plus a note of where each socket was opened. A kafkajs client that
 * is retrying when it is disconnected may open a connection afterwards, and nothing closes it:
 * the process then outlives its job. Node can say that a socket is open and to where, but not
 * which client opened it; this note does (read by {@link kafkaSocketOrigin}).
 */
export function trackedSocketFactory(): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect(
          { host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}), ...ssl },
          onConnect,
        )
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, keepAliveDelayMs);
    origins.set(socket, originOf(stackHere()));
    return socket;
  };
}

/** The frames of kafkajs and of reelstream that opened this broker socket, or undefined. */
export function kafkaSocketOrigin(socket: Socket): string | undefined {
  return origins.get(socket);
}

function stackHere(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40; // async frames included: which client, which call
  try {
    return new Error().stack ?? '';
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The informative frames of a stack: kafkajs' and reelstream's, without node internals. */
function originOf(stack: string): string {
  return (
    stack
      .split('\n')
      .slice(2) // the message and this module's own frame
      .map((line) => line.trim().replace(/^at /, ''))
      // kafkajs' own connection frames are the same for every socket: what opened it is above.
      .filter((frame) => !/node:|trackedSockets|kafkajs\/src\/network\/|^new Promise/.test(frame))
      .map((frame) =>
        // Paths from the package or project folder on: kafkajs/src/…, operators/…, jobs/….
        frame.replace(/(?:file:\/\/)?\/[^\s()]*?\/(?=(?:kafkajs|operators|jobs|pipelines)\/)/, ''),
      )
      .slice(0, 14)
      .join(' < ')
  );
}
