// The poller thread's request protocol (src/core/poller_thread.ts) on a
// private backend: a request ends when the thread says DONE, not when a
// notify happens to arrive. Runs on every backend, kernel models included.
import { setImmediate } from "node:timers";
import { describe, expect, test } from "vitest";
import { ctlState } from "../src/backends/backend.ts";
import { createBackend } from "../src/core/netpoll.ts";
import { DONE, PollerThread, REQUEST } from "../src/core/poller_thread.ts";

const noEvents = () => {
  throw new Error("no readiness expected");
};

/** Event-loop turns given to a wrongly woken request to show itself. */
const turns = 50;

async function yieldTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

describe("poller thread protocol", () => {
  test("a stray notify does not end a blocking request; the thread's DONE does", async () => {
    const be = createBackend();
    const thread = new PollerThread(be, (e) => {
      throw e;
    });
    const ctl = new Int32Array(be.shared, 0, 16);
    be.prepareBlocking(-1); // no timeout: only the wake below ends the call
    const pending = thread.request();
    expect(pending).toBeInstanceOf(Promise);
    let stateWhenResolved = -1;
    const finished = pending!.then(() => {
      stateWhenResolved = Atomics.load(ctl, ctlState);
    });
    // The notify of an earlier call, arriving late (the thread stores DONE,
    // then notifies; preempted in between, its notify lands on this request).
    Atomics.notify(ctl, ctlState);
    // Absence cannot be awaited as an event: give a wrong resolution ample
    // turns to happen (it took one or two before the fix).
    await yieldTurns(turns);
    expect(stateWhenResolved).toBe(-1);
    expect(Atomics.load(ctl, ctlState)).toBe(REQUEST);
    be.wake();
    await finished;
    expect(stateWhenResolved).toBe(DONE);
    const [result, errno] = thread.take();
    expect(be.completeBlocking(result, errno, noEvents)).toBe(0); // the wake is the backend's own
    await thread.stop();
    be.destroy();
  });

  test("taking the result while the call still runs throws instead of racing the kernel", async () => {
    const be = createBackend();
    const thread = new PollerThread(be, (e) => {
      throw e;
    });
    be.prepareBlocking(-1);
    const pending = thread.request();
    expect(() => thread.take()).toThrow(/taken in state 1, not DONE/);
    be.wake();
    await pending;
    const [result, errno] = thread.take();
    expect(be.completeBlocking(result, errno, noEvents)).toBe(0);
    await thread.stop();
    be.destroy();
  });
});
