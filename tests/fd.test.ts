// FD's read rule: after a short read the socket was empty, so the next read
// parks without the EAGAIN syscall unless readiness is already pending.
import { describe, expect, test } from "vitest";
import { ErrDeadlineExceeded, netpollStats, pollClose, pollOpen, pollUnblock, pollWait } from "../src/mod.ts";
import { ErrClosing } from "../src/net/errors.ts";
import { FD } from "../src/net/fd.ts";
import { backendFacts } from "./backend_facts.ts";
import { closeAll, pipe, put, socketpair, take } from "./helpers.ts";
import { until } from "./until.ts";

describe("FD read after a short read", () => {
  test("data and end of stream arriving together: the read after the short one returns EOF (regression: it parked forever)", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: true, socket: true });
    const buf = new Uint8Array(16);
    // Park a read so the poller harvests one edge for both the data and the hang-up.
    const first = fd.read(buf);
    put(b, [5]);
    closeAll(b);
    expect(await first).toBe(1); // short, and the FIN's edge was consumed with the data's
    fd.setReadDeadline(Date.now() + 2_000);
    expect(await fd.read(buf)).toBe(0);
    fd.close();
    await fd.closed;
  });

  test("readiness that arrived before the read is not lost (regression: it was reset, then the read parked forever)", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: true, socket: true });
    const buf = new Uint8Array(16);
    put(b, [1]);
    expect(await fd.read(buf)).toBe(1); // short: the socket is now known empty
    // A waiter elsewhere keeps the poll loop running, so the next edge becomes pdReady before the read.
    const [gr, gw] = pipe();
    const guard = pollOpen(gr);
    const guardWait = pollWait(guard, "r");
    const events = netpollStats().events;
    put(b, [2]);
    // Level-triggered ports report nothing nobody armed for: there the read simply parks and its arm finds the byte.
    if (backendFacts.edgeTriggered) {
      await until("the poller records the new edge", () => netpollStats().events > events);
    }
    fd.setReadDeadline(Date.now() + 2_000); // a lost wakeup fails with ErrDeadlineExceeded, not a hang
    expect(await fd.read(buf)).toBe(1);
    expect(buf[0]).toBe(2);
    put(gw);
    await guardWait;
    pollUnblock(guard);
    pollClose(guard);
    closeAll(gr, gw, b);
    fd.close();
    await fd.closed;
  });

  test("data arriving after a short read, with no poll in between, is read after one park", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: true, socket: true });
    const buf = new Uint8Array(16);
    put(b, [1, 2, 3]);
    expect(await fd.read(buf)).toBe(3);
    put(b, [4]); // its edge is still in the kernel: the read parks and the next poll wakes it
    fd.setReadDeadline(Date.now() + 2_000);
    expect(await fd.read(buf)).toBe(1);
    expect(buf[0]).toBe(4);
    // A full read (exactly the buffer's size) does not mark the socket empty: the next read tries at once.
    put(b, new Uint8Array(32).fill(7));
    expect(await fd.read(buf)).toBe(16);
    expect(await fd.read(buf)).toBe(16);
    closeAll(b);
    expect(await fd.read(buf)).toBe(0); // EOF still arrives as an edge
    fd.close();
    await fd.closed;
  });
});

describe("FD read after a read that found nothing", () => {
  test("a read that timed out on an empty socket is followed by one that still gets later data and end of stream", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: true, socket: true });
    const buf = new Uint8Array(16);
    // EAGAIN, park, deadline: the socket is known empty, so the next read parks before its syscall.
    fd.setReadDeadline(Date.now() + 5);
    await expect(fd.read(buf)).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    put(b, [9]); // its edge is still in the kernel: the read parks and the next poll wakes it
    fd.setReadDeadline(Date.now() + 2_000); // a lost wakeup fails with ErrDeadlineExceeded, not a hang
    expect(await fd.read(buf)).toBe(1);
    expect(buf[0]).toBe(9);
    fd.setReadDeadline(Date.now() + 5);
    await expect(fd.read(buf)).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    closeAll(b); // end of stream after an empty, timed-out read
    fd.setReadDeadline(Date.now() + 2_000);
    expect(await fd.read(buf)).toBe(0);
    fd.close();
    await fd.closed;
  });
});

describe("FD writes", () => {
  test("writes made while one is parked on a full buffer each go out whole, in call order", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: true, socket: true });
    const big = new Uint8Array(1 << 20).fill(1); // more than the socket buffer: the first send is short, then it parks
    const writes = [fd.write(big), fd.write(new Uint8Array(3).fill(2)), fd.write(new Uint8Array(5).fill(3))];
    const got: number[] = [];
    const total = big.length + 3 + 5;
    const counts = new Map<number, number>();
    let last = 0;
    await until("the peer has read every byte", () => {
      for (let chunk; (chunk = take(b, 65536)) !== null && chunk.length > 0;) {
        for (const x of chunk) {
          if (x !== last) got.push(x); // the sequence of runs: 1, 2, 3 if nothing interleaved
          last = x;
          counts.set(x, (counts.get(x) ?? 0) + 1);
        }
      }
      return [...counts.values()].reduce((s, n) => s + n, 0) >= total;
    });
    expect(await Promise.all(writes)).toEqual([big.length, 3, 5]);
    expect(got).toEqual([1, 2, 3]);
    expect([counts.get(1), counts.get(2), counts.get(3)]).toEqual([big.length, 3, 5]);
    fd.close();
    await fd.closed;
    closeAll(b);
  });

  test("a write to a closed FD rejects with ErrClosing and a later FD on the same number writes normally", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: false, socket: true });
    fd.close();
    await expect(fd.write(new Uint8Array([1]))).rejects.toBeInstanceOf(ErrClosing);
    await fd.closed;
    const again = FD.open(a, { owned: true, socket: true });
    expect(await again.write(new Uint8Array([7, 8]))).toBe(2);
    expect([...take(b)!]).toEqual([7, 8]);
    again.close();
    await again.closed;
    closeAll(b);
  });
});
