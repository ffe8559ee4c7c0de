// Sockets: echo over TCP v4, v6 and Unix with many connections at once and
// byte-exact checks; end of stream, closeWrite, streams, queued readers.
import { describe, expect, test } from "vitest";
import { connect, listen, netpollStats } from "../src/mod.ts";
import { echoServer, payload, readAll, readFull, tcpListener, tmpSocketPath } from "./net_helpers.ts";

async function echoMany(listenerAddr: Parameters<typeof connect>[0], conns: number, maxBytes: number): Promise<number> {
  let moved = 0;
  await Promise.all(Array.from({ length: conns }, async (_, i) => {
    const c = await connect(listenerAddr);
    const size = 1 + ((i * 7919) % maxBytes);
    const data = payload(size, i + 1);
    // Write and read concurrently: a big payload would otherwise fill both socket buffers.
    const [, echoed] = await Promise.all([c.write(data), readFull(c, size)]);
    expect(echoed).toEqual(data);
    moved += size;
    c.close();
  }));
  return moved;
}

describe("echo", () => {
  test("TCP over 127.0.0.1: 64 connections, up to 256 KiB each, byte-exact", async () => {
    const l = tcpListener();
    const server = echoServer(l);
    const moved = await echoMany({ hostname: "127.0.0.1", port: l.addr.port }, 64, 256 * 1024);
    expect(moved).toBeGreaterThan(64);
    l.close();
    await server;
    expect(netpollStats().waiters).toBe(0);
  });

  test("TCP over ::1: 32 connections, byte-exact", async () => {
    const l = tcpListener("::1");
    expect(l.addr.hostname).toBe("::1");
    const server = echoServer(l);
    await echoMany({ hostname: "::1", port: l.addr.port }, 32, 64 * 1024);
    l.close();
    await server;
  });

  test("Unix socket: 32 connections, byte-exact; the socket file is removed on close", async () => {
    const path = tmpSocketPath("echo");
    const l = listen({ transport: "unix", path });
    expect(l.addr).toEqual({ transport: "unix", path });
    const server = echoServer(l);
    await echoMany({ transport: "unix", path }, 32, 64 * 1024);
    l.close();
    await server;
    const { existsSync } = await import("node:fs");
    expect(existsSync(path)).toBe(false);
  });

  test("abstract Unix socket (Linux): echo, and nothing on the filesystem", async () => {
    const path = `\0netpoll-abstract-${process.pid}`;
    const l = listen({ transport: "unix", path });
    const server = echoServer(l);
    await echoMany({ transport: "unix", path }, 4, 1024);
    l.close();
    await server;
  });

  test("addresses: localAddr and remoteAddr of both ends agree", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ hostname: "localhost", port: l.addr.port });
    const s = await accepting;
    expect(c.remoteAddr).toEqual({ transport: "tcp", hostname: "127.0.0.1", port: l.addr.port });
    expect(s.remoteAddr).toEqual(c.localAddr);
    expect(s.localAddr).toEqual(c.remoteAddr);
    c.close();
    s.close();
    l.close();
  });
});

describe("stream ends", () => {
  test("peer close reads as null", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    const reading = c.read(new Uint8Array(10));
    s.close();
    expect(await reading).toBeNull();
    expect(await c.read(new Uint8Array(10))).toBeNull(); // stays at EOF
    c.close();
    l.close();
  });

  test("closeWrite: the peer reads null and can still answer", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    await c.write(new TextEncoder().encode("question"));
    await c.closeWrite();
    const got = await readAll(s);
    expect(new TextDecoder().decode(got)).toBe("question");
    await s.write(new TextEncoder().encode("answer"));
    s.close();
    expect(new TextDecoder().decode(await readAll(c))).toBe("answer");
    c.close();
    l.close();
  });

  test("a zero-length read returns 0, not null", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    expect(await c.read(new Uint8Array(0))).toBe(0);
    expect(await c.write(new Uint8Array(0))).toBe(0);
    c.close();
    s.close();
    l.close();
  });
});

describe("concurrency on one conn", () => {
  test("a second concurrent read queues behind the first, in order", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    const a = new Uint8Array(3);
    const b = new Uint8Array(3);
    const first = c.read(a);
    const second = c.read(b);
    await s.write(new Uint8Array([1, 2, 3]));
    expect(await first).toBe(3);
    await s.write(new Uint8Array([4, 5, 6]));
    expect(await second).toBe(3);
    expect([...a, ...b]).toEqual([1, 2, 3, 4, 5, 6]);
    c.close();
    s.close();
    l.close();
  });

  test("a read and a write run at once", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    const reading = c.read(new Uint8Array(4));
    await c.write(new Uint8Array([9]));
    expect(await readFull(s, 1)).toEqual(new Uint8Array([9]));
    await s.write(new Uint8Array([8]));
    expect(await reading).toBe(1);
    c.close();
    s.close();
    l.close();
  });
});

describe("web streams", () => {
  test("a server piping readable to writable echoes 4 MiB with backpressure", async () => {
    const l = tcpListener();
    let server: Awaited<ReturnType<typeof l.accept>> | undefined;
    const served = (async () => {
      server = await l.accept();
      await server.readable.pipeTo(server.writable);
    })();
    const c = await connect({ port: l.addr.port });
    const data = payload(4 * 1024 * 1024, 99);
    const writing = (async () => {
      const w = c.writable.getWriter();
      for (let off = 0; off < data.length; off += 100_000) await w.write(data.subarray(off, off + 100_000));
      await w.close(); // closeWrite
    })();
    const chunks: Uint8Array[] = [];
    for await (const chunk of c.readable) chunks.push(chunk);
    await writing;
    await served;
    const got = new Uint8Array(data.length);
    let off = 0;
    for (const ch of chunks) {
      got.set(ch, off);
      off += ch.length;
    }
    expect(off).toBe(data.length);
    expect(got).toEqual(data);
    // Both of the server's streams ended, so its conn closed itself (no leaked fd).
    await server!.closed;
    expect(() => server!.close()).toThrow(/close: use of closed network connection/);
    await c.closed;
    l.close();
  });
});
