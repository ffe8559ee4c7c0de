// The event-port backend on its own, against the C model of illumos event
// ports (the test runner runs this file in the ports model pass).
import { describe, expect, test } from "vitest";
import { modeR, modeW, type ReadySink } from "../src/backends/backend.ts";
import { createPortsBackend, portTag } from "../src/backends/ports.ts";
import { maxWaitSec } from "../src/backends/timespec.ts";
import { errnoCell, portsLibc, profile } from "../src/ffi/libc.ts";
import { closeAll, pipe, put, socketpair, take } from "./helpers.ts";

const k = profile.ports!.consts;

const none: ReadySink = () => {
  throw new Error("no readiness expected");
};

function collector() {
  const got: [number, number, number, boolean][] = [];
  const sink: ReadySink = (slot, gen, mode, _err, hangup) => void got.push([slot, gen, mode, hangup]);
  return { got, sink };
}

describe(`event-port backend (${profile.model} model)`, () => {
  test("open associates no events: a ready descriptor is silent until a wait arms it", () => {
    const be = createPortsBackend();
    const [r, w] = pipe();
    put(w, [1]);
    expect(be.open(r, 4, 40)).toBe(0);
    const { got, sink } = collector();
    be.pollInline(sink);
    expect(got).toEqual([]);
    be.arm(r, 4, 40, modeR);
    be.pollInline(sink);
    expect(got).toEqual([[4, 40, modeR, false]]);
    // One-shot: the delivery dissociated it; still readable, but silent until armed again.
    got.length = 0;
    be.pollInline(sink);
    expect(got).toEqual([]);
    be.arm(r, 4, 40, modeR);
    be.pollInline(sink);
    expect(got).toEqual([[4, 40, modeR, false]]);
    closeAll(r, w);
    be.destroy();
  });

  test("after a delivery the direction that did not fire is associated again (netpollupdate)", () => {
    const be = createPortsBackend();
    const [a, b] = socketpair();
    expect(be.open(a, 9, 90)).toBe(0);
    be.arm(a, 9, 90, modeR); // a reader waits: nothing to read yet
    be.arm(a, 9, 90, modeW); // a writer waits: writable at once
    const { got, sink } = collector();
    be.pollInline(sink);
    expect(got).toEqual([[9, 90, modeW, false]]);
    got.length = 0;
    // The reader was not forgotten: data arrives, and it hears of it without arming again.
    put(b, [1]);
    be.pollInline(sink);
    expect(got).toEqual([[9, 90, modeR, false]]);
    // Peer gone: POLLHUP wakes both directions and is flagged as a hang-up.
    got.length = 0;
    take(a);
    closeAll(b);
    be.arm(a, 9, 90, modeR);
    be.pollInline(sink);
    expect(got.map((g) => [g[2], g[3]])).toEqual([[modeR + modeW, true]]);
    closeAll(a);
    be.destroy();
  });

  test("the tag keeps the generation: a high one comes back whole, a stale one is dropped", () => {
    const be = createPortsBackend();
    expect(portTag(5, 2 ** 20 + 3)).toBe(5 + 3 * 2 ** 32);
    expect(Number.isSafeInteger(portTag(0xfffffffe, 0xffffffff))).toBe(true);
    const [r, w] = pipe();
    const gen = 2 ** 20 + 3;
    expect(be.open(r, 5, gen)).toBe(0);
    be.arm(r, 5, gen, modeR);
    put(w, [1]);
    const { got, sink } = collector();
    be.pollInline(sink);
    expect(got).toEqual([[5, gen, modeR, false]]);
    // Armed, then closed and the slot reopened with a new generation before the event is collected.
    got.length = 0;
    be.arm(r, 5, gen, modeR);
    const [r2, w2] = pipe();
    expect(be.open(r2, 5, gen + 1)).toBe(0);
    be.pollInline(sink);
    expect(got).toEqual([]); // the event for (5, gen) on fd r is not given to (5, gen + 1)
    closeAll(r, w, r2, w2);
    be.destroy();
  });

  test("close dissociates; a descriptor a delivery already dissociated answers ENOENT", () => {
    const be = createPortsBackend();
    const [r, w] = pipe();
    expect(be.open(r, 1, 1)).toBe(0);
    expect(be.close(r, 1)).toBe(0);
    expect(be.close(r, 1)).toBe(profile.errno.ENOENT);
    closeAll(r, w);
    be.destroy();
  });

  test("a wake is an alert: inline polls leave it, a blocking poll returns at once and clears it", () => {
    const be = createPortsBackend();
    be.wake();
    be.wake();
    expect(be.stats.wakeWrites).toBe(1);
    expect(be.pollInline(none)).toBe(0);
    expect(be.pollInline(none)).toBe(0); // still in alert mode
    const t0 = performance.now();
    expect(be.pollHere(10_000e6, none)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
    // Cleared: a timed poll now waits its delay (ETIME, no events: empty, not an error).
    const t1 = performance.now();
    expect(be.pollHere(3e6, none)).toBe(0);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(2.95);
    be.wake();
    expect(be.stats.wakeWrites).toBe(2);
    be.destroy();
  });

  test("port_alert: SET on an alerted port is EBUSY, UPDATE is not (why Go's wake uses UPDATE)", () => {
    const sys = portsLibc!;
    const port = sys.port_create();
    expect(sys.port_alert(port, 1, /* PORT_ALERT_SET */ k.POLLHUP, 1)).toBe(0);
    expect(sys.port_alert(port, 1, k.POLLHUP, 1)).toBe(-1);
    expect(errnoCell[0]).toBe(profile.errno.EBUSY);
    expect(sys.port_alert(port, k.PORT_ALERT_UPDATE, k.POLLHUP, 1)).toBe(0);
    expect(sys.port_alert(port, 0, 0, 0)).toBe(0);
    closeAll(port);
  });

  test("a wait past 1e6 s is capped", () => {
    const be = createPortsBackend();
    const ts = be.blockingCall.argv.at(-1)! as { offset: number };
    be.prepareBlocking(1e30);
    expect([...new BigInt64Array(be.shared, ts.offset, 2)]).toEqual([BigInt(maxWaitSec), 0n]);
    be.destroy();
  });
});
