// Go's fdseq (golang/go#59545): an event already collected for a closed
// descriptor must not reach the next descriptor with the same fd number.
import { describe, expect, test } from "vitest";
import { netpollStats, pollClose, PollCode, pollOpen, pollSetDeadline, pollUnblock, pollWait } from "../src/mod.ts";
import { ctlState } from "../src/backends/backend.ts";
import { currentPoller } from "../src/core/netpoll.ts";
import type { PollDescImpl } from "../src/core/polldesc.ts";
import { DONE } from "../src/core/poller_thread.ts";
import { closeAll, pipe, put } from "./helpers.ts";
import { spinUntil, until } from "./until.ts";

describe("stale events", () => {
  test("an event in flight for a closed fd is dropped, not given to the reopened fd number", async () => {
    // A parked waiter elsewhere keeps the poller thread in a blocking wait.
    const [gr, gw] = pipe();
    const guard = pollOpen(gr);
    const guardWait = pollWait(guard, "r");
    const p = currentPoller()!;
    const ctl = new Int32Array(p.backend.shared, 0, 16);
    const hops = p.stats.blockingPolls;
    await until("the poller thread blocks", () => p.stats.blockingPolls > hops);

    const [r, w] = pipe();
    const pd = pollOpen(r) as PollDescImpl;
    // A waiter on pd arms it where the backend is level-triggered (event ports).
    const first = pollWait(pd, "r");
    put(w); // the thread's blocking poll returns with pd's tag
    spinUntil("the poller thread collects the event", () => Atomics.load(ctl, ctlState) === DONE);

    // Before the main thread reads that result: close, and reuse the fd number and slot.
    pollUnblock(pd);
    expect(await first).toBe(PollCode.Closing);
    pollClose(pd);
    closeAll(r, w);
    const [r2, w2] = pipe();
    expect(r2).toBe(r);
    const pd2 = pollOpen(r2) as PollDescImpl;
    expect(pd2.slot).toBe(pd.slot);
    expect(pd2.gen).not.toBe(pd.gen);

    await until("the main thread takes the result", () => Atomics.load(ctl, ctlState) !== DONE);
    // The stale readiness did not leak into pd2: its wait runs to its deadline.
    pollSetDeadline(pd2, 20e6, "r");
    expect(await pollWait(pd2, "r")).toBe(PollCode.Timeout);

    put(gw);
    expect(await guardWait).toBe(PollCode.None);
    for (const [d, fds] of [[pd2, [r2, w2]], [guard, [gr, gw]]] as const) {
      pollUnblock(d);
      pollClose(d);
      closeAll(...fds);
    }
  });

  test("open/close cycles on one fd number never carry readiness over", async () => {
    for (let i = 0; i < 200; i++) {
      const [r, w] = pipe();
      const pd = pollOpen(r);
      if (i % 2 === 0) put(w); // leave readiness behind on every other cycle
      pollUnblock(pd);
      pollClose(pd);
      closeAll(r, w);
    }
    const [r, w] = pipe();
    const pd = pollOpen(r);
    pollSetDeadline(pd, 10e6, "r");
    expect(await pollWait(pd, "r")).toBe(PollCode.Timeout);
    pollUnblock(pd);
    pollClose(pd);
    closeAll(r, w);
    expect(netpollStats().waiters).toBe(0);
  });
});
