import { connect } from 'node:net';

/**
 * Why no broker accepts a TCP connection, or `undefined` when one does. kafkajs retries a refused
 * or unresolvable address for about 12 s before it says so; this answers in milliseconds, so a
 * typo in `--brokers` gets a clear error at once.
 */
export async function unreachableReason(
  brokers: readonly string[],
  timeoutMs: number,
): Promise<string | undefined> {
  const reasons = await Promise.all(brokers.map((broker) => probe(broker, timeoutMs)));
  return reasons.every((r) => r !== undefined) ? reasons.join('; ') : undefined;
}

function probe(broker: string, timeoutMs: number): Promise<string | undefined> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at);
  const port = Number(broker.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`${broker}: no TCP answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(`${broker}: ${error.code ?? error.message}`),
    );
  });
}
