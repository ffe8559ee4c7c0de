// The epoll backend on its own: Go's delay rounding, the wake descriptor's
// dedupe rule, and the event mode rules, on a private instance.
import { describe, expect, test } from "vitest";
import { modeR, modeRW, modeW } from "../src/backends/backend.ts";
import { createEpollBackend, epollWaitMs } from "../src/backends/epoll.ts";
import { ctlState } from "../src/backends/backend.ts";
import { DONE, PollerThread } from "../src/core/poller_thread.ts";
import { closeAll, pipe, put, socketpair } from "./helpers.ts";
import { spinUntil } from "./until.ts";

describe("epoll backend", () => {
  test("delay rounding follows Go: under 1 ms waits 1 ms, capped at 1e9 ms", () => {
    expect(epollWaitMs(-1)).toBe(-1);
    expect(epollWaitMs(0)).toBe(0);
    expect(epollWaitMs(1)).toBe(1);
    expect(epollWaitMs(999_999)).toBe(1);
    expect(epollWaitMs(1e6)).toBe(1);
    expect(epollWaitMs(2.5e6)).toBe(2);
    expect(epollWaitMs(2e9)).toBe(2000);
    expect(epollWaitMs(1e16)).toBe(1e9);
  });

  test("wakes are deduplicated until a blocking poll consumes one", () => {
    const be = createEpollBackend();
    const sink = () => {
      throw new Error("no readiness expected");
    };
    be.wake();
    be.wake();
    be.wake();
    expect(be.stats.wakeWrites).toBe(1);
    // A non-blocking poll sees the wake but leaves it for the blocking poller.
    expect(be.pollInline(sink)).toBe(0);
    be.wake();
    expect(be.stats.wakeWrites).toBe(1);
    // A blocking poll returns at once (the wake is pending) and consumes it.
    const t0 = performance.now();
    expect(be.pollHere(10_000e6, sink)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
    be.wake();
    expect(be.stats.wakeWrites).toBe(2);
    be.destroy();
  });

  for (const pwait2 of [true, false]) {
    test(`a timed blocking poll ends at its delay, not before (${pwait2 ? "epoll_pwait2 where available" : "epoll_wait forced"})`, () => {
      const be = createEpollBackend({ pwait2 });
      if (!pwait2) expect(be.blockingCall.symbol).toBe("epoll_wait");
      const sink = () => {
        throw new Error("no readiness expected");
      };
      for (const delayMs of [0.3, 2.5]) {
        const t0 = performance.now();
        expect(be.pollHere(delayMs * 1e6, sink)).toBe(0);
        // Neither call returns early. (epoll_wait alone would wait 1 ms for 0.3, Go's rounding;
        // the deadline timerfd ends it at 0.3.)
        expect(performance.now() - t0).toBeGreaterThanOrEqual(delayMs - 0.05);
      }
      be.destroy();
    });
  }

  test("this machine's blocking wait is epoll_pwait2 (Linux >= 5.11, glibc >= 2.35)", () => {
    const be = createEpollBackend();
    expect(be.blockingCall.symbol).toBe("epoll_pwait2");
    expect(be.blockingCall.argv.map((a) => a.kind)).toEqual(["ctl", "ptr", "int", "ptrOrNull", "null"]);
    be.destroy();
  });

  test("events carry their tag and Go's read/write modes", () => {
    const be = createEpollBackend();
    const [a, b] = socketpair();
    const [r, w] = pipe();
    expect(be.open(a, 7, 70)).toBe(0);
    expect(be.open(r, 8, 80)).toBe(0);
    const got: [number, number, number, boolean][] = [];
    const sink = (slot: number, gen: number, mode: number, err: boolean) => void got.push([slot, gen, mode, err]);
    const hangups: number[] = [];
    const sinkH = (slot: number, gen: number, mode: number, err: boolean, hangup: boolean) => {
      sink(slot, gen, mode, err);
      if (hangup) hangups.push(slot);
    };
    // The socket is writable at registration; the pipe's read end is not ready.
    be.pollInline(sink);
    expect(got).toEqual([[7, 70, modeW, false]]);
    got.length = 0;
    put(b, [1]);
    put(w, [1]);
    be.pollInline(sink);
    got.sort((x, y) => x[0] - y[0]);
    // Edge-triggered: the socket reports IN with OUT still set; the pipe IN only.
    expect(got.map((g) => g.slice(0, 2))).toEqual([[7, 70], [8, 80]]);
    expect([modeR, modeRW]).toContain(got[0]![2]);
    expect(got[1]![2]).toBe(modeR);
    // Nothing new: edge-triggered means no repeat.
    got.length = 0;
    be.pollInline(sink);
    expect(got).toEqual([]);
    // EPOLLHUP wakes both directions (Go's masks), on a pipe as on a socket.
    // Hang-ups are flagged (the FD layer must then never skip a read), data edges are not.
    expect(hangups).toEqual([]);
    closeAll(w);
    be.pollInline(sinkH);
    expect(got).toEqual([[8, 80, modeRW, false]]);
    got.length = 0;
    closeAll(b);
    be.pollInline(sinkH);
    expect(got).toEqual([[7, 70, modeRW, false]]);
    expect(hangups).toEqual([8, 7]);
    expect(be.close(a, 7)).toBe(0);
    expect(be.close(r, 8)).toBe(0);
    expect(be.close(r, 8)).not.toBe(0); // already removed: ENOENT
    closeAll(a, r);
    be.destroy();
  });

  test("a timed wait ends at the deadline counted from when it was asked, however late the call starts", async () => {
    const be = createEpollBackend();
    const thread = new PollerThread(be, (e) => {
      throw e;
    });
    const ctl = new Int32Array(be.shared, 0, 16);
    // The poller thread's start is late by the whole delay: the call's own
    // timeout would then wait 50 ms more; the timerfd armed here has expired.
    be.prepareBlocking(50e6);
    spinUntil("the delay has passed", ((t) => () => performance.now() - t >= 50)(performance.now()));
    const t0 = performance.now();
    await thread.request();
    const waited = performance.now() - t0;
    expect(Atomics.load(ctl, ctlState)).toBe(DONE);
    const [result, errno] = thread.take();
    expect(be.completeBlocking(result, errno, () => {
      throw new Error("no readiness expected");
    })).toBe(0);
    expect(waited).toBeLessThan(25); // not the call's 50 ms
    await thread.stop();
    be.destroy();
  });
});
