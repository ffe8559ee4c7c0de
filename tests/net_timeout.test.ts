// Go's net/timeout_test.go cases for read and write deadlines, on our
// sockets: past, short, cleared, extended, fluctuating; a 64 MiB write to a
// peer that never reads, held by a write deadline; per-operation AbortSignal.
import { describe, expect, test } from "vitest";
import { type Conn, connect, ErrClosing, ErrDeadlineExceeded, netpollStats } from "../src/mod.ts";
import { deadlineExceeded } from "../src/net/errors.ts";
import { readFull, tcpListener } from "./net_helpers.ts";

async function pair(): Promise<{ c: Conn; s: Conn; done: () => void }> {
  const l = tcpListener();
  const accepting = l.accept();
  const c = await connect({ port: l.addr.port });
  const s = await accepting;
  return {
    c,
    s,
    done: () => {
      for (const x of [c, s, l]) {
        try {
          x.close();
        } catch { /* already closed by the test */ }
      }
    },
  };
}

describe("read deadlines (Go's TestReadTimeout family)", () => {
  test("a past deadline fails a read at once, even with data waiting", async () => {
    const { c, s, done } = await pair();
    await s.write(new Uint8Array([1]));
    await readFull(c, 0);
    c.setReadDeadline(Date.now() - 1000);
    await expect(c.read(new Uint8Array(1))).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    await expect(c.read(new Uint8Array(1))).rejects.toThrow("read: i/o timeout");
    // Clearing it lets the waiting byte through.
    c.setReadDeadline(null);
    expect(await c.read(new Uint8Array(1))).toBe(1);
    done();
  });

  test("a short deadline expires a parked read, not before it is due", async () => {
    const { c, done } = await pair();
    const t0 = Date.now();
    c.setReadDeadline(t0 + 30);
    await expect(c.read(new Uint8Array(1))).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(29);
    done();
  });

  test("extending the deadline while a read is parked moves the expiry", async () => {
    const { c, done } = await pair();
    const t0 = Date.now();
    c.setReadDeadline(t0 + 20);
    const reading = c.read(new Uint8Array(1));
    c.setReadDeadline(t0 + 80);
    await expect(reading).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(79);
    done();
  });

  test("clearing the deadline while a read is parked lets data arrive later", async () => {
    const { c, s, done } = await pair();
    c.setReadDeadline(Date.now() + 20);
    const reading = c.read(new Uint8Array(1));
    c.setReadDeadline(null);
    // A second conn's deadline proves time has passed the cleared one.
    const other = await pair();
    other.c.setReadDeadline(Date.now() + 40);
    await expect(other.c.read(new Uint8Array(1))).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    await s.write(new Uint8Array([5]));
    expect(await reading).toBe(1);
    other.done();
    done();
  });

  test("deadlines of 1, 5, 10 and 25 ms each expire their own read (TestVariousDeadlines)", async () => {
    const pairs = await Promise.all([1, 5, 10, 25].map(async (ms) => ({ ms, ...(await pair()) })));
    const t0 = Date.now();
    const results = await Promise.all(pairs.map(async ({ ms, c }) => {
      c.setReadDeadline(t0 + ms);
      const err = await c.read(new Uint8Array(1)).then(() => null, (e: unknown) => e);
      return { ms, err, at: Date.now() - t0 };
    }));
    for (const r of results) {
      expect(r.err).toBeInstanceOf(ErrDeadlineExceeded);
      expect(r.at).toBeGreaterThanOrEqual(r.ms - 1);
    }
    pairs.forEach((p) => p.done());
  });

  test("setDeadline covers both directions", async () => {
    const { c, done } = await pair();
    c.setDeadline(Date.now() - 1);
    await expect(c.read(new Uint8Array(1))).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    await expect(c.write(new Uint8Array(1))).rejects.toThrow("write: i/o timeout");
    c.setDeadline(null);
    expect(await c.write(new Uint8Array(1))).toBe(1);
    done();
  });

  test("a bad deadline is a TypeError naming the call", async () => {
    const { c, done } = await pair();
    expect(() => c.setReadDeadline(Number.NaN)).toThrow(/setReadDeadline: the deadline must be/);
    expect(() => c.setDeadline("soon" as unknown as number)).toThrow(TypeError);
    done();
  });
});

describe("accept deadlines (Go's TestAcceptTimeout)", () => {
  test("a listener's read deadline fails a pending accept; cleared, accept works", async () => {
    const l = tcpListener();
    l.setReadDeadline(Date.now() + 20);
    await expect(l.accept()).rejects.toThrow("accept: i/o timeout");
    l.setReadDeadline(null);
    const accepting = l.accept();
    const c = await connect({ port: l.addr.port });
    const s = await accepting;
    s.close();
    c.close();
    l.close();
  });
});

describe("write deadlines", () => {
  test("a 64 MiB write to a peer that never reads fails at its deadline; the conn survives", async () => {
    const { c, s, done } = await pair();
    const big = new Uint8Array(64 * 1024 * 1024);
    const t0 = Date.now();
    c.setWriteDeadline(t0 + 100);
    await expect(c.write(big)).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(99);
    // The bytes the kernel took are readable by the peer; the conn still works for reads.
    await s.write(new Uint8Array([1]));
    expect(await c.read(new Uint8Array(1))).toBe(1);
    done();
  });

  // Regression (issue 7): a write that timed out part-way did not say how
  // much went out, so a retry sent those bytes twice.
  test("a write that times out part-way says how many bytes went out; the peer reads exactly those", async () => {
    const { c, s, done } = await pair();
    const big = new Uint8Array(64 * 1024 * 1024).map((_, i) => i % 251);
    c.setWriteDeadline(Date.now() + 50);
    const e = await c.write(big).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ErrDeadlineExceeded);
    const sent = (e as ErrDeadlineExceeded).bytesWritten;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(big.length);
    c.close(); // the peer now reads the sent bytes, then end of stream
    const buf = new Uint8Array(1 << 20);
    let got = 0;
    for (let n = await s.read(buf); n !== null; n = await s.read(buf)) {
      for (let i = 0; i < n; i++) if (buf[i] !== (got + i) % 251) throw new Error(`byte ${got + i} differs`);
      got += n;
    }
    expect(got).toBe(sent);
    // Its own error, not the shared one, which still says 0.
    expect(e).not.toBe(deadlineExceeded("write"));
    expect(deadlineExceeded("write").bytesWritten).toBe(0);
    done();
  });
});

describe("the timeout error is one value per operation, as Go's os.ErrDeadlineExceeded", () => {
  test("every read that times out rejects with the same frozen error, whose stack is its header", async () => {
    const a = await pair();
    const b = await pair();
    a.c.setReadDeadline(Date.now() - 1);
    b.c.setReadDeadline(Date.now() + 5);
    const ea = await a.c.read(new Uint8Array(1)).catch((x: unknown) => x);
    const eb = await b.c.read(new Uint8Array(1)).catch((x: unknown) => x);
    expect(ea).toBe(deadlineExceeded("read"));
    expect(eb).toBe(ea);
    expect(Object.isFrozen(ea)).toBe(true);
    expect((ea as ErrDeadlineExceeded).stack).toBe("ErrDeadlineExceeded: read: i/o timeout");
    expect((ea as ErrDeadlineExceeded).op).toBe("read");
    expect(deadlineExceeded("accept")).not.toBe(ea);
    a.done();
    b.done();
  });
});

describe("close during I/O", () => {
  test("close wakes a parked read and a parked write with ErrClosing, then closes the fd", async () => {
    const { c, done } = await pair();
    const reading = c.read(new Uint8Array(1));
    const writing = c.write(new Uint8Array(64 * 1024 * 1024));
    const queued = c.read(new Uint8Array(1)); // waits for the lock
    const settled = Promise.allSettled([reading, writing, queued]);
    expect(netpollStats().waiters).toBeGreaterThanOrEqual(1);
    c.close();
    const [r, w, q] = await settled;
    expect(r).toMatchObject({ status: "rejected", reason: expect.any(ErrClosing) });
    expect(w).toMatchObject({ status: "rejected", reason: expect.any(ErrClosing) });
    expect(q.status === "rejected" && (q.reason as Error).message).toBe("read: use of closed network connection");
    await c.closed;
    await expect(c.read(new Uint8Array(1))).rejects.toBeInstanceOf(ErrClosing);
    expect(() => c.close()).toThrow(/close: use of closed network connection/);
    done();
  });
});

describe("AbortSignal", () => {
  test("aborting a parked read rejects it with the reason; the conn stays usable", async () => {
    const { c, s, done } = await pair();
    const ac = new AbortController();
    const reading = c.read(new Uint8Array(1), { signal: ac.signal });
    ac.abort(new Error("stop reading"));
    await expect(reading).rejects.toThrow("stop reading");
    await s.write(new Uint8Array([3]));
    expect(await c.read(new Uint8Array(1))).toBe(1);
    done();
  });

  test("an already-aborted signal rejects before any I/O", async () => {
    const { c, s, done } = await pair();
    await s.write(new Uint8Array([3]));
    const signal = AbortSignal.abort();
    await expect(c.read(new Uint8Array(1), { signal })).rejects.toThrow();
    expect(await c.read(new Uint8Array(1))).toBe(1); // the byte was not consumed
    done();
  });

  test("aborting a write parked on a full buffer", async () => {
    const { c, done } = await pair();
    const ac = new AbortController();
    const writing = c.write(new Uint8Array(64 * 1024 * 1024), { signal: ac.signal });
    ac.abort();
    await expect(writing).rejects.toMatchObject({ name: "AbortError" });
    done();
  });
});
