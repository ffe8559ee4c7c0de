/**
 * BSD and macOS kqueue: Go's runtime/netpoll_kqueue.go, with the wake-up of
 * netpoll_kqueue_event.go (EVFILT_USER) and netpoll_kqueue_pipe.go.
 *
 * Every descriptor gets EVFILT_READ and EVFILT_WRITE with EV_ADD|EV_CLEAR
 * (edge-triggered) once, for its whole life; close(2) removes them, so close
 * asks nothing of the kernel. The udata word holds the tag (slot, generation)
 * as two u32s. The struct's layout, the filter numbers and kevent's symbol
 * come from the profile: 32 bytes (macOS, OpenBSD, DragonFly), 64 (FreeBSD
 * >= 12), 40 with u32 filter and flags (NetBSD's `__kevent50`).
 *
 * Wake-up (netpollBreak): a triggered EVFILT_USER event where the OS has one,
 * else a non-blocking pipe whose read end is registered level-triggered.
 *
 * @module
 */
import { ErrnoError } from "../ffi/errors.ts";
import { errnoCell, ffi, kqueueLibc, libc, profile } from "../ffi/libc.ts";
import { keventSpec } from "../ffi/symbols.ts";
import {
  type Backend,
  type BlockingCall,
  controlBytes,
  ctlArg0,
  modeR,
  modeW,
  type ReadySink,
  wakeSlot,
} from "./backend.ts";
import { setTimespec } from "./timespec.ts";

/** Events per kevent call, as in Go. */
const maxEvents = 64;

/** Go's identifier of its EVFILT_USER wake-up event (netpoll_kqueue_event.go). */
export const kqIdent = 0xee1eb9f4;

/** Creates the kqueue backend (netpollinit). Throws ErrnoError if the kernel refuses. */
export function createKqueueBackend(): Backend {
  const sys = kqueueLibc;
  const kp = profile.kqueue;
  if (sys === undefined || kp === undefined) throw new Error(`netpoll: no kqueue on ${profile.key}`);
  const { layout: L, consts: k, keventSymbol } = kp;
  const kevent = sys.kevent;
  const { EINTR, EAGAIN, ETIMEDOUT } = profile.errno as Record<string, number>;
  const size = L.size;

  // Shared: control words, the event list, then a timespec for the blocking call.
  const tsOffset = controlBytes + maxEvents * size;
  const shared = new SharedArrayBuffer(tsOffset + 16);
  const timespec = new BigInt64Array(shared, tsOffset, 2);
  const sharedEvents = new Uint8Array(shared, controlBytes, maxEvents * size);
  const sharedEventsPtr = ffi.ptrOf(sharedEvents);
  const timespecPtr = ffi.ptrOf(new Uint8Array(shared, tsOffset, 16));
  const ctl = new Int32Array(shared, 0, controlBytes / 4);
  // The main thread's own memory: an event list and a zero timespec, so it
  // can poll while the poller thread is blocked in kevent on the shared one,
  // and up to two changes (open registers both filters at once). A
  // SharedArrayBuffer, like the shared one, because its pointers are kept:
  // on Bun, pointers kept into small ArrayBuffers were seen to outlive their
  // memory (the zero timespec read back as a freed block's list pointers).
  const local = new SharedArrayBuffer(maxEvents * size + 16 + 2 * size);
  const inlineEvents = new Uint8Array(local, 0, maxEvents * size);
  const inlinePtr = ffi.ptrOf(inlineEvents);
  const zeroTsPtr = ffi.ptrOf(new Uint8Array(local, maxEvents * size, 16));
  const changes = new Uint8Array(local, maxEvents * size + 16, 2 * size);
  const changeView = new DataView(local, changes.byteOffset, changes.byteLength);
  const changesPtr = ffi.ptrOf(changes);

  /** Writes change `i`: ident, filter, flags, fflags, and the tag in udata. */
  function setChange(
    i: number,
    ident: number,
    filter: number,
    flags: number,
    fflags: number,
    slot: number,
    gen: number,
  ) {
    const b = i * size;
    changes.fill(0, b, b + size);
    changeView.setUint32(b, ident, true);
    if (L.wide) {
      changeView.setUint32(b + L.filterOffset, filter >>> 0, true);
      changeView.setUint32(b + L.flagsOffset, flags, true);
      changeView.setUint32(b + L.flagsOffset + 4, fflags, true);
    } else {
      changeView.setInt16(b + L.filterOffset, filter, true);
      changeView.setUint16(b + L.flagsOffset, flags, true);
      changeView.setUint32(b + L.flagsOffset + 2, fflags, true);
    }
    changeView.setUint32(b + L.udataOffset, slot, true);
    changeView.setUint32(b + L.udataOffset + 4, gen, true);
  }

  /** kevent with changes only; retried on EINTR (the changes were applied or not; EV_ADD is idempotent). */
  function submit(n: number): number {
    for (;;) {
      if (kevent(kq, changesPtr, n, null, 0, null) >= 0) return 0;
      const e = errnoCell[0]!;
      if (e !== EINTR) return e;
    }
  }

  const kq = sys.kqueue();
  if (kq < 0) throw new ErrnoError("kqueue", errnoCell[0]!);
  // Go's closeonexec(kq): kqueue() has no flag for it on every system.
  sys.fcntl(kq, profile.file.F_SETFD, profile.file.FD_CLOEXEC);

  // The wake-up: EVFILT_USER, or the read end of a pipe (OpenBSD, NetBSD).
  const userWake = k.EVFILT_USER !== undefined && k.NOTE_TRIGGER !== undefined;
  let wakeRd = -1;
  let wakeWr = -1;
  const fail = (call: string, e: number, why: string): never => {
    for (const fd of [wakeRd, wakeWr, kq]) if (fd >= 0) libc.close(fd);
    throw new ErrnoError(call, e, why);
  };
  if (userWake) {
    setChange(0, kqIdent, k.EVFILT_USER!, k.EV_ADD | k.EV_CLEAR, 0, wakeSlot, 0);
    const e = submit(1);
    if (e !== 0) fail("kevent", e, "adding the EVFILT_USER wake-up event");
  } else {
    const fds = new Int32Array(2);
    if (libc.pipe2(fds, profile.file.O_NONBLOCK | profile.file.O_CLOEXEC) < 0) {
      fail("pipe2", errnoCell[0]!, "the wake-up pipe");
    }
    [wakeRd, wakeWr] = [fds[0]!, fds[1]!];
    setChange(0, wakeRd, k.EVFILT_READ, k.EV_ADD, 0, wakeSlot, 0);
    const e = submit(1);
    if (e !== 0) fail("kevent", e, "registering the wake-up pipe");
  }

  // wakeSig is Go's netpollWakeSig: 1 from a wake until a blocking poll sees
  // it. Only the main thread touches it (it decodes the poller thread's
  // results too), so it needs no atomics.
  let wakeSig = 0;
  const oneByte = new Uint8Array(1);
  const drainBuf = new Uint8Array(16);
  const stats = { wakeWrites: 0, interrupted: 0 };
  let blocking = false;

  function trigger(): void {
    setChange(0, kqIdent, k.EVFILT_USER!, 0, k.NOTE_TRIGGER!, wakeSlot, 0);
    const e = submit(1);
    if (e !== 0) throw new ErrnoError("kevent", e, "netpollBreak (NOTE_TRIGGER)");
    stats.wakeWrites++;
  }

  // Field readers over an event list, by the profile's layout.
  function reader(list: Uint8Array) {
    const v = new DataView(list.buffer, list.byteOffset, list.byteLength);
    return {
      ident: (b: number) => v.getUint32(b, true),
      filter: L.wide
        ? (b: number) => v.getInt32(b + L.filterOffset, true)
        : (b: number) => v.getInt16(b + L.filterOffset, true),
      flags: L.wide
        ? (b: number) => v.getUint32(b + L.flagsOffset, true)
        : (b: number) => v.getUint16(b + L.flagsOffset, true),
      slot: (b: number) => v.getUint32(b + L.udataOffset, true),
      gen: (b: number) => v.getUint32(b + L.udataOffset + 4, true),
    };
  }
  const sharedReader = reader(sharedEvents);
  const inlineReader = reader(inlineEvents);

  function decode(r: ReturnType<typeof reader>, n: number, isBlocking: boolean, sink: ReadySink): number {
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const b = i * size;
      const filter = r.filter(b);
      const flags = r.flags(b);
      const slot = r.slot(b);
      if (slot === wakeSlot) {
        if (isBlocking) {
          // The pipe is level-triggered: only a blocking poll drains it, so a
          // wake meant for the poller thread is not lost to an inline poll.
          if (!userWake) libc.read(wakeRd, drainBuf, drainBuf.length);
          wakeSig = 0;
        } else if (userWake) {
          // EV_CLEAR consumed the trigger in a non-blocking poll: post it
          // again for the blocking one it was meant for (Go's processWakeupEvent).
          trigger();
        }
        continue;
      }
      let mode = 0;
      if (filter === k.EVFILT_READ) {
        mode += modeR;
        // Some systems report a closed pipe's write end as EV_EOF on the read
        // filter only: wake the writer too; its write will say what happened.
        if ((flags & k.EV_EOF) !== 0) mode += modeW;
      } else if (filter === k.EVFILT_WRITE) {
        mode += modeW;
      }
      if (mode !== 0) {
        const hangup = (flags & (k.EV_EOF | k.EV_ERROR)) !== 0;
        sink(slot, r.gen(b), mode, flags === k.EV_ERROR, hangup);
        delivered++;
      }
    }
    return delivered;
  }

  function result(n: number, e: number): number {
    if (n >= 0) return n;
    // EINTR: return empty and let the caller recompute its delay. ETIMEDOUT:
    // some kernels report an expired wait as an error (golang/go#59679).
    if (e === EINTR) stats.interrupted++;
    if (e === EINTR || e === ETIMEDOUT) return 0;
    throw new ErrnoError(keventSymbol, e);
  }

  const blockingCall: BlockingCall = {
    symbol: keventSymbol,
    spec: keventSpec(kp.countType),
    argv: [
      { kind: "ctl", index: ctlArg0 },
      { kind: "null" },
      { kind: "int", value: 0 },
      { kind: "ptr", offset: controlBytes },
      { kind: "int", value: maxEvents },
      { kind: "ptrOrNull", offset: tsOffset, index: ctlArg0 + 1 },
    ],
  };

  const backend: Backend = {
    name: "kqueue",
    shared,
    libPath: profile.libc,
    errnoSymbol: profile.errnoSymbol,
    openSyscall: keventSymbol,
    stats,
    blockingCall,
    open(fd, slot, gen) {
      setChange(0, fd, k.EVFILT_READ, k.EV_ADD | k.EV_CLEAR, 0, slot, gen);
      setChange(1, fd, k.EVFILT_WRITE, k.EV_ADD | k.EV_CLEAR, 0, slot, gen);
      return submit(2);
    },
    close() {
      // close(2) removes every kevent that names the descriptor.
      return 0;
    },
    arm() {
      // Edge-triggered and registered for both filters at open: nothing to do.
    },
    pollInline(sink) {
      const n = kevent(kq, null, 0, inlinePtr, maxEvents, zeroTsPtr);
      return decode(inlineReader, result(n, n < 0 ? errnoCell[0]! : 0), false, sink);
    },
    prepareBlocking(delayNs) {
      blocking = delayNs !== 0;
      ctl[ctlArg0] = kq;
      ctl[ctlArg0 + 1] = delayNs < 0 ? 0 : 1;
      if (delayNs >= 0) setTimespec(timespec, delayNs);
    },
    completeBlocking(n, e, sink) {
      return decode(sharedReader, result(n, e), blocking, sink);
    },
    pollHere(delayNs, sink) {
      backend.prepareBlocking(delayNs);
      const n = kevent(kq, null, 0, sharedEventsPtr, maxEvents, delayNs < 0 ? null : timespecPtr);
      return backend.completeBlocking(n, n < 0 ? errnoCell[0]! : 0, sink);
    },
    wake() {
      if (wakeSig !== 0) return;
      wakeSig = 1;
      if (userWake) {
        trigger();
        return;
      }
      for (;;) {
        if (libc.write(wakeWr, oneByte, 1) === 1) {
          stats.wakeWrites++;
          return;
        }
        const e = errnoCell[0]!;
        if (e === EINTR) continue;
        if (e === EAGAIN) return; // the pipe is full: a wake is pending
        throw new ErrnoError("write", e, "netpollBreak on the wake-up pipe");
      }
    },
    isPollDescriptor(fd) {
      return fd === kq || (fd >= 0 && (fd === wakeRd || fd === wakeWr));
    },
    destroy() {
      if (wakeRd >= 0) libc.close(wakeRd);
      if (wakeWr >= 0) libc.close(wakeWr);
      libc.close(kq);
    },
  };
  return backend;
}
