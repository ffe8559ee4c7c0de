// Helpers for the socket tests: an echo server on our listener, random
// payloads, and reading exactly n bytes.
import { type Conn, listen, type Listener, type NetAddr } from "../src/mod.ts";

/** Deterministic pseudo-random bytes (xorshift), so a failure reproduces. */
export function payload(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Reads exactly n bytes (or throws at EOF). */
export async function readFull(c: Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const got = await c.read(out.subarray(off));
    if (got === null) throw new Error(`EOF after ${off} of ${n} bytes`);
    off += got;
  }
  return out;
}

/** Reads until EOF. */
export async function readAll(c: Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Echoes every accepted connection until EOF. Resolves when the listener closes. */
export async function echoServer(l: Listener): Promise<void> {
  const conns: Promise<void>[] = [];
  for await (const c of l) {
    conns.push((async () => {
      const buf = new Uint8Array(32 * 1024);
      try {
        for (;;) {
          const n = await c.read(buf);
          if (n === null) break;
          await c.write(buf.subarray(0, n));
        }
      } finally {
        c.close();
      }
    })());
  }
  await Promise.all(conns);
}

/** A loopback TCP listener on a free port. */
export function tcpListener(hostname = "127.0.0.1"): Listener & { addr: NetAddr } {
  return listen({ hostname, port: 0 }) as Listener & { addr: NetAddr };
}

/** A unique Unix socket path under the temp dir. */
export function tmpSocketPath(tag: string): string {
  return `/tmp/netpoll-${tag}-${process.pid}-${Math.random().toString(36).slice(2)}.sock`;
}
