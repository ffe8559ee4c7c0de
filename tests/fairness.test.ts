// A descriptor whose reads always find data runs as a chain of promise
// continuations that never yields to a macrotask. The poller must still
// deliver readiness to parked descriptors meanwhile (netpollTick), or they
// starve until the busy one runs dry; and the chain must end now and then
// (netpollYield), or the runtime's own timers never run.
import { describe, expect, test } from "vitest";
import { netpollStats } from "../src/mod.ts";
import { FD } from "../src/net/fd.ts";
import { closeAll, put, socketpair } from "./helpers.ts";

describe("fairness between a busy and a parked descriptor", () => {
  test("a parked read completes while another descriptor still has data for thousands of reads", async () => {
    const [busyA, busyB] = socketpair();
    const [idleA, idleB] = socketpair();
    const busy = FD.open(busyA, { owned: true, socket: true });
    const idle = FD.open(idleA, { owned: true, socket: true });
    // 128 KiB waiting, read 16 bytes at a time: 8192 reads that never return EAGAIN.
    put(busyB, new Uint8Array(128 * 1024).fill(1));
    let busyReads = 0;
    let busyReadsWhenIdleWoke = -1;
    const parked = idle.read(new Uint8Array(1)).then(() => (busyReadsWhenIdleWoke = busyReads));
    const buf = new Uint8Array(16);
    const draining = (async () => {
      while (busyReads < 8192) {
        await busy.read(buf);
        busyReads++;
        if (busyReads === 1) put(idleB, [9]); // the parked descriptor becomes readable now
      }
    })();
    await Promise.all([parked, draining]);
    expect(busyReadsWhenIdleWoke).toBeGreaterThan(0);
    expect(busyReadsWhenIdleWoke).toBeLessThan(200); // within a few forced polls, not after 8192
    busy.close();
    idle.close();
    await busy.closed;
    await idle.closed;
    closeAll(busyB, idleB);
  });

  // Regression: under 1000 connections of echo load, a 10 ms setInterval in
  // the server's process did not fire until the load stopped (Bun and Deno).
  test("a runtime timer fires while a descriptor's reads never wait: busy work yields to the event loop", async () => {
    const [a, b] = socketpair();
    const fd = FD.open(a, { owned: true, socket: true });
    put(b, new Uint8Array(4096).fill(1));
    const yieldedBefore = netpollStats().turnsYielded;
    let reads = 0;
    let readsWhenTimerFired = -1;
    setTimeout(() => (readsWhenTimerFired = reads), 1);
    const buf = new Uint8Array(16);
    // Each read's bytes are written back, so the socket never runs dry and
    // no read ever parks. Bounded: without the yield the loop would run all
    // 200,000 reads (~1 s) and the timer fire only after.
    const limit = 200_000;
    while (reads < limit && readsWhenTimerFired < 0) {
      expect(await fd.read(buf)).toBe(16);
      put(b, buf);
      reads++;
    }
    expect(readsWhenTimerFired).toBeGreaterThan(0);
    expect(readsWhenTimerFired).toBeLessThan(limit);
    expect(netpollStats().turnsYielded).toBeGreaterThan(yieldedBefore);
    fd.close();
    await fd.closed;
    closeAll(b);
  });
});
