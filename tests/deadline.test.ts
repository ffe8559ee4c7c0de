// Deadlines with Go's semantics: per mode, combined rw timer, reset and
// extension while parked, past deadlines, clamping, stale timers.
import { describe, expect, test } from "vitest";
import { netpollStats, pollClose, PollCode, pollOpen, pollSetDeadline, pollUnblock, pollWait } from "../src/mod.ts";
import { libc } from "../src/ffi/libc.ts";
import { closeAll, pipe, put, socketpair } from "./helpers.ts";
import { until } from "./until.ts";

const ms = 1e6; // deadlines are in nanoseconds

function done(pd: ReturnType<typeof pollOpen>, ...fds: number[]): void {
  pollUnblock(pd);
  pollClose(pd);
  closeAll(...fds);
}

/** A socketpair whose `a` end has a full send buffer, so a write wait parks. */
function fullPair(): [number, number] {
  const [a, b] = socketpair();
  const chunk = new Uint8Array(65536);
  for (let i = 0; i < 1000 && libc.write(a, chunk, chunk.length) > 0; i++);
  return [a, b];
}

describe("deadlines", () => {
  test("a read deadline expires a parked reader with Timeout, not before it is due", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    const t0 = performance.now();
    pollSetDeadline(pd, 15 * ms, "r");
    expect(await pollWait(pd, "r")).toBe(PollCode.Timeout);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    // Expired stays expired: the next wait reports Timeout at once.
    expect(await pollWait(pd, "r")).toBe(PollCode.Timeout);
    done(pd, r, w);
  });

  test("clearing an expired deadline lets I/O go on", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    pollSetDeadline(pd, -1, "r");
    expect(await pollWait(pd, "r")).toBe(PollCode.Timeout);
    pollSetDeadline(pd, 0, "r");
    const waiting = pollWait(pd, "r");
    put(w);
    expect(await waiting).toBe(PollCode.None);
    done(pd, r, w);
  });

  test("a past deadline reports Timeout even with data waiting (as Go)", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    put(w);
    expect(await pollWait(pd, "r")).toBe(PollCode.None);
    put(w);
    pollSetDeadline(pd, -5, "r");
    expect(await pollWait(pd, "r")).toBe(PollCode.Timeout);
    done(pd, r, w);
  });

  test("a past deadline wakes a parked waiter at once", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    const waiting = pollWait(pd, "r");
    const fired = netpollStats().timersFired;
    pollSetDeadline(pd, -1, "r");
    expect(await waiting).toBe(PollCode.Timeout);
    expect(netpollStats().timersFired).toBe(fired); // no timer was needed
    done(pd, r, w);
  });

  test("extending a deadline while parked moves the expiry", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    const t0 = performance.now();
    pollSetDeadline(pd, 10 * ms, "r");
    const waiting = pollWait(pd, "r");
    pollSetDeadline(pd, 60 * ms, "r");
    expect(await waiting).toBe(PollCode.Timeout);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(60);
    done(pd, r, w);
  });

  test("clearing a deadline while parked keeps the waiter until I/O", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    pollSetDeadline(pd, 10 * ms, "r");
    const waiting = pollWait(pd, "r");
    pollSetDeadline(pd, 0, "r");
    // Another deadline, later than the cleared one, proves time has passed it.
    const [r2, w2] = pipe();
    const pd2 = pollOpen(r2);
    pollSetDeadline(pd2, 30 * ms, "r");
    expect(await pollWait(pd2, "r")).toBe(PollCode.Timeout);
    put(w);
    expect(await waiting).toBe(PollCode.None);
    done(pd, r, w);
    done(pd2, r2, w2);
  });

  test("an earlier deadline wakes the poller thread out of a long blocking wait", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    pollSetDeadline(pd, 30_000 * ms, "r");
    const t0 = performance.now();
    const waiting = pollWait(pd, "r");
    const hops = netpollStats().blockingPolls;
    await until("the poller thread blocks", () => netpollStats().blockingPolls > hops);
    const wakes = netpollStats().wakeWrites;
    pollSetDeadline(pd, 20 * ms, "r");
    expect(netpollStats().wakeWrites).toBe(wakes + 1);
    expect(await waiting).toBe(PollCode.Timeout);
    expect(performance.now() - t0).toBeLessThan(10_000); // not the 30 s wait
    done(pd, r, w);
  });

  test("rd == wd is one combined timer that expires both directions", async () => {
    const [a, b] = fullPair();
    const pd = pollOpen(a);
    const reading = pollWait(pd, "r");
    const writing = pollWait(pd, "w");
    const fired = netpollStats().timersFired;
    pollSetDeadline(pd, 20 * ms, "rw");
    expect(await reading).toBe(PollCode.Timeout);
    expect(await writing).toBe(PollCode.Timeout);
    expect(netpollStats().timersFired - fired).toBe(1);
    done(pd, a, b);
  });

  test("splitting a combined deadline gives each direction its own expiry", async () => {
    const [a, b] = fullPair();
    const pd = pollOpen(a);
    // Before the deadline is set: it counts from the set, so from t0 it is at least 20 ms.
    const t0 = performance.now();
    pollSetDeadline(pd, 20 * ms, "rw");
    pollSetDeadline(pd, 0, "w"); // writes now have no deadline
    const reading = pollWait(pd, "r");
    let writeDone = false;
    const writing = pollWait(pd, "w").then((c) => ((writeDone = true), c));
    expect(await reading).toBe(PollCode.Timeout);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20);
    expect(writeDone).toBe(false);
    pollSetDeadline(pd, -1, "w");
    expect(await writing).toBe(PollCode.Timeout);
    done(pd, a, b);
  });

  test("a write deadline expires a parked writer", async () => {
    const [a, b] = fullPair();
    const pd = pollOpen(a);
    pollSetDeadline(pd, 10 * ms, "w");
    expect(await pollWait(pd, "w")).toBe(PollCode.Timeout);
    expect(await pollWait(pd, "w")).toBe(PollCode.Timeout);
    done(pd, a, b);
  });

  test("a deadline beyond the clock's range is clamped, not overflowed into the past", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    for (const d of [Number.MAX_VALUE, Number.POSITIVE_INFINITY, 2 ** 63]) {
      pollSetDeadline(pd, d, "r");
      const waiting = pollWait(pd, "r");
      put(w);
      expect(await waiting).toBe(PollCode.None);
      libc.read(r, new Uint8Array(8), 8);
    }
    pollSetDeadline(pd, Number.NEGATIVE_INFINITY, "r");
    expect(await pollWait(pd, "r")).toBe(PollCode.Timeout);
    done(pd, r, w);
  });

  test("unblock cancels armed deadlines; their timers never fire", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    pollSetDeadline(pd, 5 * ms, "rw");
    pollUnblock(pd);
    pollClose(pd);
    const fired = netpollStats().timersFired;
    const [r2, w2] = pipe();
    const pd2 = pollOpen(r2);
    pollSetDeadline(pd2, 25 * ms, "r");
    expect(await pollWait(pd2, "r")).toBe(PollCode.Timeout);
    expect(netpollStats().timersFired - fired).toBe(1); // only pd2's
    closeAll(r, w);
    done(pd2, r2, w2);
  });

  test("100 waiters with staggered deadlines each expire once, in order", async () => {
    const pairs = Array.from({ length: 100 }, () => pipe());
    const pds = pairs.map(([r]) => pollOpen(r));
    const order: number[] = [];
    const waits = pds.map((pd, i) => {
      pollSetDeadline(pd, (5 + (99 - i) * 0.3) * ms, "r");
      return pollWait(pd, "r").then((c) => (order.push(i), c));
    });
    const codes = await Promise.all(waits);
    expect(codes.every((c) => c === PollCode.Timeout)).toBe(true);
    expect(order.length).toBe(100);
    // Deadlines 0.3 ms apart can share a poll; across polls they come latest-index first.
    expect(order[0]).toBeGreaterThan(order[99]!);
    pds.forEach((pd, i) => done(pd, ...pairs[i]!));
  });
});
