// The kqueue backend on its own, against the C model of the target's kernel
// (the test runner runs this file in each kqueue model pass: FreeBSD's
// 64-byte kevent, macOS's and OpenBSD's 32, NetBSD's 40 with u32 fields).
import { describe, expect, test } from "vitest";
import { modeR, modeRW, modeW, type ReadySink } from "../src/backends/backend.ts";
import { createKqueueBackend, kqIdent } from "../src/backends/kqueue.ts";
import { maxWaitSec } from "../src/backends/timespec.ts";
import { errnoCell, ffi, kqueueLibc, profile } from "../src/ffi/libc.ts";
import { closeAll, pipe, put, socketpair } from "./helpers.ts";

const kp = profile.kqueue!;
const k = kp.consts;
const userWake = k.EVFILT_USER !== undefined;
const label = `${profile.model} model, ${kp.layout.size}-byte kevent, ${userWake ? "EVFILT_USER" : "pipe"} wake-up`;

const none: ReadySink = () => {
  throw new Error("no readiness expected");
};

/** Collects events as [slot, gen, mode, eventErr, hangup]. */
function collector() {
  const got: [number, number, number, boolean, boolean][] = [];
  const sink: ReadySink = (slot, gen, mode, err, hangup) => void got.push([slot, gen, mode, err, hangup]);
  return { got, sink };
}

describe(`kqueue backend (${label})`, () => {
  test("events carry their tag and Go's modes: EV_EOF on the read filter wakes the writer too", () => {
    const be = createKqueueBackend();
    const [a, b] = socketpair();
    const [r, w] = pipe();
    expect(be.open(a, 7, 70)).toBe(0);
    expect(be.open(r, 8, 0xfffffffe)).toBe(0);
    const { got, sink } = collector();
    // The socket is writable at registration; the pipe's read end is not ready.
    be.pollInline(sink);
    expect(got).toEqual([[7, 70, modeW, false, false]]);
    got.length = 0;
    put(b, [1]);
    put(w, [1]);
    be.pollInline(sink);
    got.sort((x, y) => x[0] - y[0]);
    expect(got.filter((g) => g[2] === modeR).map((g) => g.slice(0, 2))).toEqual([[7, 70], [8, 0xfffffffe]]);
    // EV_CLEAR: nothing new, nothing reported.
    got.length = 0;
    be.pollInline(sink);
    expect(got).toEqual([]);
    // The write end closed: EVFILT_READ with EV_EOF, which Go turns into 'r'+'w', flagged as a hang-up.
    // (The model also fires the read end's EVFILT_WRITE with EV_EOF, as FreeBSD's pipe filter does.)
    closeAll(w);
    be.pollInline(sink);
    expect(got).toContainEqual([8, 0xfffffffe, modeRW, false, true]);
    expect(got.every((g) => g[0] === 8 && g[4])).toBe(true);
    got.length = 0;
    closeAll(b);
    be.pollInline(sink);
    expect(got.some((g) => g[0] === 7 && g[2] === modeRW && g[4])).toBe(true);
    closeAll(a, r);
    be.destroy();
  });

  test("close(2) removes the kevents: a reused fd number hears nothing for the old tag", () => {
    const be = createKqueueBackend();
    const [r, w] = pipe();
    expect(be.open(r, 3, 1)).toBe(0);
    expect(be.close(r, 3)).toBe(0); // nothing asked of the kernel
    closeAll(r, w);
    const [r2, w2] = pipe();
    expect(r2).toBe(r);
    put(w2, [1]);
    const { got, sink } = collector();
    be.pollInline(sink);
    expect(got).toEqual([]);
    closeAll(r2, w2);
    be.destroy();
  });

  test(`a bad fd is EBADF from ${kp.keventSymbol}, returned as the open's errno`, () => {
    const be = createKqueueBackend();
    expect(be.open(-1, 1, 1)).toBe(profile.errno.EBADF);
    be.destroy();
  });

  test("wakes are deduplicated until a blocking poll sees one; an inline poll does not lose it", () => {
    const be = createKqueueBackend();
    be.wake();
    be.wake();
    expect(be.stats.wakeWrites).toBe(1);
    // The inline poll sees the wake: a triggered EVFILT_USER event is consumed
    // by the sight (EV_CLEAR) and posted again; a pipe is left unread.
    expect(be.pollInline(none)).toBe(0);
    expect(be.stats.wakeWrites).toBe(userWake ? 2 : 1);
    be.wake();
    expect(be.stats.wakeWrites).toBe(userWake ? 2 : 1);
    // The blocking poll returns at once, and consumes it.
    const t0 = performance.now();
    expect(be.pollHere(10_000e6, none)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
    be.wake();
    expect(be.stats.wakeWrites).toBe(userWake ? 3 : 2);
    be.destroy();
  });

  test("a timed blocking poll ends at its delay, not before; past 1e6 s the wait is capped, not refused", () => {
    const be = createKqueueBackend();
    for (const delayMs of [0.3, 2.5]) {
      const t0 = performance.now();
      expect(be.pollHere(delayMs * 1e6, none)).toBe(0);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(delayMs - 0.05);
    }
    const ts = be.blockingCall.argv.at(-1)!;
    expect(ts.kind).toBe("ptrOrNull");
    be.prepareBlocking(1e30);
    const written = new BigInt64Array(be.shared, (ts as { offset: number }).offset, 2);
    expect([...written]).toEqual([BigInt(maxWaitSec), 0n]);
    be.destroy();
  });

  test("the model refuses what a kernel refuses: a too-long timespec (EINVAL), an unknown filter", () => {
    const sys = kqueueLibc!;
    const kevent = sys.kevent;
    const kq = sys.kqueue();
    expect(kq).toBeGreaterThanOrEqual(0);
    const ts = new BigInt64Array(new SharedArrayBuffer(16));
    ts[0] = 200_000_000n; // over macOS's limit: why Go caps at 1e6 s
    const list = new Uint8Array(new SharedArrayBuffer(kp.layout.size * 2));
    expect(kevent(kq, null, 0, ffi.ptrOf(list), 2, ffi.ptrOf(ts))).toBe(-1);
    expect(errnoCell[0]).toBe(profile.errno.EINVAL);
    closeAll(kq);
  });

  test("a failed change comes back as an EV_ERROR entry when the event list has room", () => {
    const sys = kqueueLibc!;
    const kevent = sys.kevent;
    const kq = sys.kqueue();
    const L = kp.layout;
    const change = new Uint8Array(new SharedArrayBuffer(L.size));
    const v = new DataView(change.buffer);
    v.setUint32(0, 0x7ffffff0, true); // no such descriptor
    if (L.wide) {
      v.setUint32(L.filterOffset, k.EVFILT_READ >>> 0, true);
      v.setUint32(L.flagsOffset, k.EV_ADD, true);
    } else {
      v.setInt16(L.filterOffset, k.EVFILT_READ, true);
      v.setUint16(L.flagsOffset, k.EV_ADD, true);
    }
    const out = new Uint8Array(new SharedArrayBuffer(L.size));
    const o = new DataView(out.buffer);
    expect(kevent(kq, ffi.ptrOf(change), 1, ffi.ptrOf(out), 1, null)).toBe(1);
    expect(L.wide ? o.getUint32(L.flagsOffset, true) : o.getUint16(L.flagsOffset, true)).toBe(k.EV_ERROR);
    expect(Number(o.getBigInt64(L.dataOffset, true))).toBe(profile.errno.EBADF);
    // Without room, the call fails with that errno instead.
    expect(kevent(kq, ffi.ptrOf(change), 1, null, 0, null)).toBe(-1);
    expect(errnoCell[0]).toBe(profile.errno.EBADF);
    closeAll(kq);
  });

  test("the wake-up is what the target's Go uses", () => {
    const be = createKqueueBackend();
    // EVFILT_USER (macOS, FreeBSD, DragonFly) holds no descriptor; a pipe (OpenBSD, NetBSD) holds two.
    let own = 0;
    for (let fd = 0; fd < 1024; fd++) if (be.isPollDescriptor(fd)) own++;
    expect(own).toBe(userWake ? 1 : 3);
    expect(kqIdent).toBe(0xee1eb9f4);
    be.destroy();
  });
});
