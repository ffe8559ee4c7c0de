// Conn.readEach (a read loop driven by the poller's callbacks, no promise per
// read) and Conn.tryWrite (a send that never waits): what a server written in
// Bun.listen's shape relies on.
import { describe, expect, test } from "vitest";
import { type Conn, connect, ErrClosing, ErrDeadlineExceeded, netpollStats } from "../src/mod.ts";
import { payload, readFull, tcpListener } from "./net_helpers.ts";
import { until } from "./until.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/**
 * What `p` rejects with (and fails if it resolves). Not `expect(p).rejects`:
 * on Bun 1.4.5, while a test awaited that, the inline poll the poller had
 * queued with setImmediate did not run (timers did), so a `p` that needed
 * one more poll never settled (docs/ARCHITECTURE.md, runtime quirks).
 */
function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then((v) => {
    throw new Error(`expected a rejection, got ${String(v)}`);
  }, (e: unknown) => e);
}

/** The first index where a and b differ, -1 if equal (toEqual on MiBs is slow on Deno's vitest). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A connected pair over 127.0.0.1: [client, server]. */
async function pair(): Promise<[Conn, Conn]> {
  const l = tcpListener();
  const [client, server] = await Promise.all([connect({ hostname: "127.0.0.1", port: l.addr.port }), l.accept()]);
  l.close();
  return [client, server];
}

/** The echo of bench/servers/netpoll_each.ts: send what the socket takes now, the rest with write(). */
function echoEach(c: Conn, bufSize: number): Promise<void> {
  const buf = new Uint8Array(bufSize);
  return c.readEach(buf, (n) => {
    const sent = c.tryWrite(buf, n);
    if (sent < n) return c.write(buf.subarray(sent, n));
  });
}

/** A round trip on a fresh pair: afterwards the poller has polled since anything sent before it. */
async function pollOnce(): Promise<void> {
  const [c, s] = await pair();
  await c.write(bytes("?"));
  expect(await s.read(new Uint8Array(1))).toBe(1);
  c.close();
  s.close();
}

describe("readEach", () => {
  test("echo with tryWrite and write(): 32 connections, up to 1 MiB each, byte-exact", async () => {
    const l = tcpListener();
    const served: Promise<void>[] = [];
    const accepting = (async () => {
      for (let i = 0; i < 32; i++) {
        const s = await l.accept();
        served.push(echoEach(s, 4096).finally(() => s.close()));
      }
    })();
    await Promise.all(Array.from({ length: 32 }, async (_, i) => {
      const c = await connect({ hostname: "127.0.0.1", port: l.addr.port });
      const size = 1 + ((i * 104_729) % (1 << 20));
      const data = payload(size, i + 1);
      // Both ways at once: 1 MiB does not fit in the socket buffers, so the
      // server's tryWrite comes up short and its write() parks.
      const [, echoed] = await Promise.all([c.write(data), readFull(c, size)]);
      expect(firstDiff(echoed, data)).toBe(-1);
      c.closeWrite();
      expect(await c.read(new Uint8Array(1))).toBe(null);
      c.close();
    }));
    await accepting;
    await Promise.all(served); // each loop resolved at its end of stream
    l.close();
    expect(netpollStats().waiters).toBe(0);
  });

  test("onData gets each read's count in the caller's buffer; the loop resolves at end of stream", async () => {
    const [c, s] = await pair();
    const buf = new Uint8Array(64);
    let got = "";
    const done = s.readEach(buf, (n) => {
      expect(n).toBeGreaterThan(0);
      got += text(buf.subarray(0, n));
    });
    await c.write(bytes("hello, "));
    await until("the first bytes are seen", () => got.length > 0);
    await c.write(bytes("world"));
    c.closeWrite();
    expect(await done).toBeUndefined();
    expect(got).toBe("hello, world");
    c.close();
    s.close();
  });

  test("a promise from onData holds the next read until it settles", async () => {
    const [c, s] = await pair();
    const buf = new Uint8Array(64);
    const seen: string[] = [];
    let release!: () => void;
    const done = s.readEach(buf, (n) => {
      seen.push(text(buf.subarray(0, n)));
      if (seen.length === 1) return new Promise<void>((r) => (release = r));
    });
    await c.write(bytes("one"));
    await until("onData has the first read", () => seen.length === 1);
    await c.write(bytes("two"));
    await pollOnce(); // "two" is in the server's socket and the poller has polled since
    expect(seen).toEqual(["one"]);
    release();
    await until("onData has the second read", () => seen.length === 2);
    expect(seen).toEqual(["one", "two"]);
    c.close();
    expect(await done).toBeUndefined(); // a closed peer is end of stream
    s.close();
  });

  test("onData that throws ends the loop with its error, and frees the read lock for read()", async () => {
    const [c, s] = await pair();
    const boom = new Error("boom");
    let calls = 0;
    const done = s.readEach(new Uint8Array(8), () => {
      calls++;
      throw boom;
    });
    await c.write(bytes("x"));
    expect(await failure(done)).toBe(boom);
    await c.write(bytes("y"));
    const buf = new Uint8Array(8);
    expect(await s.read(buf)).toBe(1);
    expect(text(buf.subarray(0, 1))).toBe("y");
    expect(calls).toBe(1);
    c.close();
    s.close();
  });

  test("a rejected promise from onData ends the loop with its reason", async () => {
    const [c, s] = await pair();
    const reason = new Error("handler failed");
    const done = s.readEach(new Uint8Array(8), () => Promise.reject(reason));
    await c.write(bytes("x"));
    expect(await failure(done)).toBe(reason);
    c.close();
    s.close();
  });

  test("a thenable from onData that settles twice and throws is taken once: the loop goes on", async () => {
    const [c, s] = await pair();
    const buf = new Uint8Array(8);
    const seen: string[] = [];
    const done = s.readEach(buf, (n) => {
      seen.push(text(buf.subarray(0, n)));
      if (seen.length > 1) return;
      const unruly = {
        then(ok: () => void, fail: (e: unknown) => void) {
          ok();
          fail(new Error("second settle"));
          throw new Error("then threw");
        },
      };
      return unruly as unknown as PromiseLike<void>; // breaks every rule a thenable should keep
    });
    await c.write(bytes("a"));
    await until("onData has the first read", () => seen.length === 1);
    await c.write(bytes("b"));
    await until("onData has the second read", () => seen.length === 2);
    c.close();
    expect(await done).toBeUndefined();
    expect(seen).toEqual(["a", "b"]);
    s.close();
  });

  test("a read already waiting for the lock goes on once readEach has ended", async () => {
    const [c, s] = await pair();
    const done = s.readEach(new Uint8Array(8), () => {
      throw new Error("stop");
    });
    const buf = new Uint8Array(8);
    const queued = s.read(buf);
    await c.write(bytes("a"));
    expect(String(await failure(done))).toContain("stop");
    await c.write(bytes("b"));
    const n = await queued;
    expect(text(buf.subarray(0, n!))).toBe("b");
    c.close();
    s.close();
  });

  test("the read deadline ends it with ErrDeadlineExceeded; the poller is left with no waiter", async () => {
    const [c, s] = await pair();
    const before = netpollStats().waiters;
    s.setReadDeadline(Date.now() + 20);
    const done = s.readEach(new Uint8Array(8), () => {});
    const e = await done.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ErrDeadlineExceeded);
    expect((e as Error).message).toBe("readEach: i/o timeout");
    expect(netpollStats().waiters).toBe(before);
    c.close();
    s.close();
  });

  test("close ends it with ErrClosing: while it waits, and from inside onData", async () => {
    const [c1, s1] = await pair();
    const waiting = s1.readEach(new Uint8Array(8), () => {});
    await pollOnce(); // the loop is parked by now
    s1.close();
    expect(await failure(waiting)).toBeInstanceOf(ErrClosing);
    c1.close();

    const [c2, s2] = await pair();
    let calls = 0;
    // A 1-byte buffer and 4 bytes sent: without the check after onData, the loop would read on.
    const closing = s2.readEach(new Uint8Array(1), () => {
      calls++;
      s2.close();
    });
    await c2.write(bytes("abcd"));
    const e = await closing.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ErrClosing);
    expect((e as Error).message).toMatch(/^readEach: /);
    expect(calls).toBe(1);
    await s2.closed;
    c2.close();
  });

  test("an abort signal ends it with the signal's reason, parked or while onData's promise is pending", async () => {
    const [c, s] = await pair();
    const ac = new AbortController();
    const parked = s.readEach(new Uint8Array(8), () => {}, { signal: ac.signal });
    await pollOnce();
    ac.abort(new Error("stop waiting"));
    expect(String(await failure(parked))).toContain("stop waiting");

    const ac2 = new AbortController();
    let release!: () => void;
    let calls = 0;
    const pending = s.readEach(new Uint8Array(8), () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    }, { signal: ac2.signal });
    await c.write(bytes("x"));
    await until("onData ran", () => calls === 1);
    ac2.abort(new Error("aborted mid-way"));
    await c.write(bytes("y"));
    release();
    expect(String(await failure(pending))).toContain("aborted mid-way");
    expect(calls).toBe(1);
    // The conn stays usable: the unread "y" is still there.
    const buf = new Uint8Array(8);
    expect(await s.read(buf)).toBe(1);
    expect(text(buf.subarray(0, 1))).toBe("y");
    c.close();
    s.close();
  });

  test("a peer that keeps the socket full does not hold the poll: a timer runs before the queue is read", async () => {
    const [c, s] = await pair();
    const total = 64 * 1024;
    await c.write(new Uint8Array(total)); // all of it in the kernel before the loop starts
    let received = 0;
    let atTimer = -1;
    setTimeout(() => (atTimer = received), 0);
    // 16-byte reads, every one filling the buffer: without the bound on
    // reads in a row, the loop would read all 64 KiB before the timer ran.
    const done = s.readEach(new Uint8Array(16), (n) => {
      received += n;
    });
    await until("the timer ran", () => atTimer >= 0);
    expect(atTimer).toBeLessThan(total);
    c.close();
    await done;
    expect(received).toBe(total);
    s.close();
  });
});

describe("tryWrite", () => {
  test("sends what the socket takes now and never waits: short counts, then 0; write() carries on, byte-exact", async () => {
    const [c, s] = await pair();
    const chunk = payload(64 * 1024, 7);
    const counts: number[] = [];
    // Until the socket buffers are full: no wait, whatever the peer does.
    for (let i = 0; i < 10_000 && counts.at(-1) !== 0; i++) counts.push(c.tryWrite(chunk));
    expect(counts.at(-1)).toBe(0);
    expect(counts.some((k) => k > 0 && k < chunk.length) || counts[0] === 0).toBe(true);
    const tail = bytes("the end");
    const sent = counts.reduce((a, k) => a + k, 0);
    const [, got] = await Promise.all([c.write(tail), readFull(s, sent + tail.length)]);
    const want = new Uint8Array(sent + tail.length);
    let off = 0;
    for (const k of counts) {
      want.set(chunk.subarray(0, k), off);
      off += k;
    }
    want.set(tail, off);
    expect(firstDiff(got, want)).toBe(-1);
    c.close();
    s.close();
  });

  test("sends only the first n bytes when given n", async () => {
    const [c, s] = await pair();
    expect(c.tryWrite(bytes("abcdef"), 3)).toBe(3);
    expect(c.tryWrite(bytes("xyz"), 0)).toBe(0);
    c.closeWrite();
    const buf = new Uint8Array(16);
    const n = await s.read(buf);
    expect(text(buf.subarray(0, n!))).toBe("abc");
    expect(await s.read(buf)).toBe(null);
    c.close();
    s.close();
  });

  test("returns 0 while a write() is part-way through, so it cannot overtake that write's bytes", async () => {
    const [c, s] = await pair();
    const big = payload(8 << 20, 3);
    const writing = c.write(big); // parks once the socket buffers are full
    expect(c.tryWrite(bytes("!"))).toBe(0);
    const [, got] = await Promise.all([writing, readFull(s, big.length)]);
    expect(firstDiff(got, big)).toBe(-1);
    c.close();
    s.close();
  });
});
