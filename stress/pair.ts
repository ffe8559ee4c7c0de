/**
 * Connected pairs through the public API: a listener, a connect, an accept.
 * Every scenario builds its traffic from these.
 *
 * @module
 */
import process from "node:process";
import { type Conn, connect, ErrClosing, listen, type Listener } from "../src/mod.ts";

/** A loopback TCP listener on a kernel-chosen port, or a Unix one on a fresh path. */
export function loopbackListener(transport: "tcp" | "unix" = "tcp"): Listener {
  if (transport === "unix") {
    const path = `/tmp/netpoll-stress-${process.pid}-${Math.random().toString(36).slice(2)}.sock`;
    return listen({ transport: "unix", path });
  }
  return listen({ hostname: "127.0.0.1", port: 0 });
}

/** Connects to `l` and accepts: [the dialled end, the accepted end]. */
export async function pairOn(l: Listener): Promise<[Conn, Conn]> {
  const addr = l.addr;
  const dialing = addr.transport === "unix"
    ? connect({ transport: "unix", path: addr.path })
    : connect({ hostname: addr.hostname, port: addr.port });
  const [a, b] = await Promise.all([dialing, l.accept()]);
  return [a, b];
}

/** Reads until `into` is full; end of stream first is an error naming `what`. */
export async function readFull(c: Conn, into: Uint8Array, what = "read"): Promise<void> {
  let n = 0;
  while (n < into.length) {
    const r = await c.read(into.subarray(n));
    if (r === null) throw new Error(`${what}: end of stream ${into.length - n} bytes short`);
    n += r;
  }
}

/** Closes `c` unless it is already closed. */
export function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch (e) {
    if (!(e instanceof ErrClosing)) throw e; // a second close says ErrClosing; anything else is news
  }
}

/**
 * Starts the poller (its epoll and wake descriptors, its thread) with one
 * round trip and a wait that hops to the poller thread, so a scenario's
 * descriptor count is measured against a running poller.
 */
export async function warmUp(): Promise<void> {
  const l = loopbackListener("tcp");
  const [a, b] = await pairOn(l);
  await a.write(new Uint8Array([1]));
  await b.read(new Uint8Array(1));
  b.setReadDeadline(Date.now() + 5);
  await b.read(new Uint8Array(1)).catch(() => {});
  a.close();
  b.close();
  l.close();
  await Promise.all([a.closed, b.closed]);
}
