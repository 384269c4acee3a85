import { AsyncLocalStorage } from 'node:async_hooks';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';

import type { ISocketFactory } from 'kafkajs';

/** kafkajs' own keep-alive delay: a dead peer is noticed without a request in flight. */
const keepAliveDelayMs = 60_000;

/** Where each broker socket still alive was opened: the frames that say which client and why. */
const origins = new WeakMap<Socket, string>();

/** Per client name, the connections refused after its close: what kafkajs still tried. */
const refused = new Map<string, number>();

/** The clients that tried to connect after their close, with how often (for diagnosis). */
export function refusedConnections(): string[] {
  return [...refused].map(([name, count]) => `${name} ×${String(count)}`);
}

/** The client on whose behalf the code running now talks to the broker. */
const currentOwner = new AsyncLocalStorage<SocketOwner>();

/** How often {@link SocketOwner.run} went through {@link currentOwner}. */
let contextRuns = 0;

/**
 * How often a client's work ran inside async context tracking in this process: 0 while every
 * kafkajs instance in use was built by `createKafkaJs`. Once it is not 0, Node hooks every
 * promise of the process for good (a third more per await): the tests hold it at 0.
 */
export function asyncContextRuns(): number {
  return contextRuns;
}

/**
 * The broker connections of one kafkajs client (a producer, a consumer, an admin), and the
 * guarantee that a closed client opens none.
 *
 * kafkajs goes on talking to the broker after a client's disconnect in more ways than one can
 * list: a send that was retrying reconnects the cluster it finds disconnected; a consumer that
 * crashed disconnects without waiting for the batch in flight, whose end then heartbeats the
 * coordinator on a fresh connection. Each such connection stays open with nothing to close it,
 * and the process outlives its job. Everything a client does runs inside {@link run}; the code
 * it starts there (kafkajs' fetch loops, heartbeats, retries, restarts) stays its own, as
 * Node's async context follows timers and promises. {@link close} ends whatever is still open
 * and refuses every later connection with an error kafkajs treats as a failed connect.
 */
export class SocketOwner {
  readonly name: string;
  private closed = false;
  private readonly open = new Set<Socket>();
  /**
   * Whether the client's kafkajs instance connects through {@link socketFactory}, its own: then
   * every socket it opens is this owner's without asking the async context, and {@link run}
   * runs the work as it is. Async context tracking costs every promise of the process a hook
   * once it is on (Node 20's AsyncLocalStorage): a third more per await, measured.
   */
  private ownsFactory = false;

  constructor(name: string) {
    this.name = name;
  }

  /** Runs the work, and everything it starts, as this client. */
  run<TResult>(work: () => TResult): TResult {
    if (this.ownsFactory) {
      return work();
    }
    contextRuns++;
    return currentOwner.run(this, work);
  }

  /** A socket factory whose every connection is this client's: for a kafkajs of its own. */
  socketFactory(): ISocketFactory {
    this.ownsFactory = true;
    return socketFactoryOf(() => this);
  }

  /** Destroys the client's open connections; any later one is refused. */
  close(): void {
    this.closed = true;
    for (const socket of this.open) {
      // With an error, so that kafkajs hears of it: a socket destroyed in silence emits only
      // 'close', which kafkajs does not listen to, and its connect (or request) waited for its
      // own timeout with a timer that kept the stopped process alive (seen in a fault run).
      // Without a listener an 'error' would be thrown: then in silence.
      socket.destroy(
        socket.listenerCount('error') > 0
          ? closedClientError(`${this.name} is closed: its connection is ended`)
          : undefined,
      );
    }
    this.open.clear();
  }

  /** The connections this client has open now. */
  get openSockets(): number {
    return this.open.size;
  }

  /** @internal The socket factory's: a new connection of this client, or a refused one. */
  adopt(host: string, port: number, connect: () => Socket): Socket {
    if (this.closed) {
      refused.set(this.name, (refused.get(this.name) ?? 0) + 1);
      return refusedSocket(`${this.name} is closed: no new connection to ${host}:${String(port)}`);
    }
    const socket = connect();
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    return socket;
  }
}

/**
 * kafkajs' socket factory, plus a note of where each socket was opened and by which
 * {@link SocketOwner}. Node can say that a socket is open and to where, but not which client
 * opened it; the note does (read by {@link kafkaSocketOrigin}).
 */
export function trackedSocketFactory(): ISocketFactory {
  return socketFactoryOf(() => currentOwner.getStore());
}

function socketFactoryOf(ownerNow: () => SocketOwner | undefined): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const connect = (): Socket => {
      const socket = ssl
        ? tls.connect(
            { host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}), ...ssl },
            onConnect,
          )
        : net.connect({ host, port }, onConnect);
      socket.setKeepAlive(true, keepAliveDelayMs);
      return socket;
    };
    const owner = ownerNow();
    const socket = owner === undefined ? connect() : owner.adopt(host, port, connect);
    const origin = originOf(stackHere());
    origins.set(socket, owner === undefined ? origin : `${owner.name}: ${origin}`);
    return socket;
  };
}

/**
 * The error a closed client's connections fail with. Its code makes kafkajs treat it as not
 * retriable (patches/: kafkajs' connection), so a closed client stops trying at once rather than
 * retrying on timers that keep a stopped process alive.
 */
function closedClientError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_KAFKA_CLIENT_CLOSED' });
}

/**
 * A socket that fails as a refused connection does: kafkajs has attached its listeners by the
 * time the error is emitted, and fails the connect (retriable) without writing anything.
 */
function refusedSocket(reason: string): Socket {
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(closedClientError(reason)));
  return socket;
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
