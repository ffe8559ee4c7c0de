// Every error case of the socket layer: what it produced, checked exactly.
import { describe, expect, test } from "vitest";
import { connect, ErrnoError, listen, netpollStats } from "../src/mod.ts";
import { echoServer, tcpListener, tmpSocketPath } from "./net_helpers.ts";

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("connect errors", () => {
  test("nothing listening: ECONNREFUSED naming connect and the address", async () => {
    const l = tcpListener();
    const port = l.addr.port;
    l.close();
    await l.fd; // closed synchronously: nothing pending
    const e = (await errorOf(connect({ hostname: "127.0.0.1", port }))) as ErrnoError;
    expect(e).toBeInstanceOf(ErrnoError);
    expect(e.code).toBe("ECONNREFUSED");
    expect(e.syscall).toBe("connect");
    expect(e.message).toBe(`connect: ECONNREFUSED (errno ${e.errno}): 127.0.0.1:${port}`);
    expect(netpollStats().waiters).toBe(0);
  });

  test("a missing Unix socket path: ENOENT", async () => {
    const e = (await errorOf(connect({ transport: "unix", path: "/nonexistent/netpoll.sock" }))) as ErrnoError;
    expect(e.code).toBe("ENOENT");
    expect(e.message).toMatch(/^connect: ENOENT .*\/nonexistent\/netpoll\.sock$/);
  });

  test("bad options are TypeErrors or RangeErrors naming connect", async () => {
    await expect(connect({ port: 0 })).rejects.toThrow(/connect: port must be an integer from 1 to 65535/);
    await expect(connect({ port: 70000 })).rejects.toBeInstanceOf(RangeError);
    await expect(connect({ port: 1.5 })).rejects.toBeInstanceOf(RangeError);
    await expect(connect({ transport: "udp" } as never)).rejects.toThrow(/connect: transport must be "tcp" or "unix"/);
    await expect(connect(null as never)).rejects.toThrow(/connect: options must be an object/);
    await expect(connect({ transport: "unix", path: "x".repeat(200) })).rejects.toThrow(
      /connect: a Unix socket path must be 1 to 107 bytes/,
    );
  });
});

describe("listen errors", () => {
  test("an address in use: EADDRINUSE naming bind and the address; the first listener keeps working", async () => {
    const l = tcpListener();
    const e = (await errorOf(() => listen({ hostname: "127.0.0.1", port: l.addr.port }))) as ErrnoError;
    expect(e).toBeInstanceOf(ErrnoError);
    expect(e.code).toBe("EADDRINUSE");
    expect(e.message).toBe(`bind: EADDRINUSE (errno ${e.errno}): 127.0.0.1:${l.addr.port}`);
    const server = echoServer(l);
    const c = await connect({ port: l.addr.port });
    await c.write(new Uint8Array([1]));
    expect(await c.read(new Uint8Array(1))).toBe(1);
    c.close();
    l.close();
    await server;
  });

  test("a Unix path that exists: EADDRINUSE", () => {
    const path = tmpSocketPath("inuse");
    const l = listen({ transport: "unix", path });
    expect(() => listen({ transport: "unix", path })).toThrow(/^bind: EADDRINUSE .*netpoll-inuse/);
    l.close();
  });

  test("bad options are TypeErrors or RangeErrors naming listen", () => {
    expect(() => listen({ port: -1 })).toThrow(/listen: port must be an integer from 0 to 65535, got -1/);
    expect(() => listen({ port: 65536 })).toThrow(RangeError);
    expect(() => listen({ hostname: "example.com", port: 0 })).toThrow(/listen: hostname must be a numeric address/);
    expect(() => listen({ hostname: "256.0.0.1", port: 0 })).toThrow(TypeError);
    expect(() => listen({ port: 0, backlog: -5 })).toThrow(/listen: backlog must be a non-negative integer/);
    expect(() => listen({ transport: "unix", path: "" })).toThrow(
      /listen: a Unix socket path must be 1 to 107 bytes, got 0/,
    );
    expect(() => listen({ transport: "sctp" } as never)).toThrow(TypeError);
  });

  test("a closed listener: accept rejects with ErrClosing, a second close throws", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    l.close();
    await expect(accepting).rejects.toThrow("accept: use of closed network connection");
    expect(() => l.close()).toThrow(/close: use of closed network connection/);
  });
});

describe("writes to a vanished peer", () => {
  test("EPIPE or ECONNRESET as an ErrnoError, and the process lives on", async () => {
    const l = tcpListener();
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    s.close();
    await s.closed;
    let e: unknown;
    // The first write may be accepted by the kernel; the RST it provokes fails a later one.
    for (let i = 0; i < 100 && e === undefined; i++) {
      try {
        await c.write(new Uint8Array(1024));
        const n = await c.read(new Uint8Array(1)).catch((x: unknown) => {
          throw x;
        });
        if (n === null) continue;
      } catch (x) {
        e = x;
      }
    }
    expect(e).toBeInstanceOf(ErrnoError);
    expect(["EPIPE", "ECONNRESET"]).toContain((e as ErrnoError).code);
    expect((e as ErrnoError).message).toMatch(/^(send|recv): (EPIPE|ECONNRESET)/);
    c.close();
    l.close();
  });
});
