/**
 * Linux epoll: Go's runtime/netpoll_epoll.go.
 *
 * Every descriptor is registered once, edge-triggered, for both directions
 * (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET): no re-arming per wait. The 64-bit
 * user word holds the tag (slot, generation) as two u32s. An eventfd,
 * registered level-triggered, is the wake descriptor (netpollBreak). A
 * timerfd, also level-triggered, ends a timed blocking wait at its deadline
 * (see prepareBlocking).
 *
 * @module
 */
import { ErrnoError } from "../ffi/errors.ts";
import { epollLibc, epollPwait2Libc, errnoCell, ffi, libc, profile } from "../ffi/libc.ts";
import { epollPwait2Symbols, epollSymbols } from "../ffi/symbols.ts";
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

/** Events per epoll_wait, as in Go. */
const maxEvents = 128;

/** The tag slot of the deadline timerfd (next to wakeSlot; pollDesc slots never get this high). */
const timerSlot = 0xfffffffe;

/** Go's conversion of a poll delay in ns to epoll_wait's timeout in ms. */
export function epollWaitMs(delayNs: number): number {
  if (delayNs < 0) return -1;
  if (delayNs === 0) return 0;
  if (delayNs < 1e6) return 1; // under 1 ms: wait 1 ms rather than spin
  if (delayNs < 1e15) return Math.floor(delayNs / 1e6);
  return 1e9; // an arbitrary cap, ~11.5 days, as in Go
}

/** Options for {@linkcode createEpollBackend}. */
export interface EpollOptions {
  /** Use epoll_pwait2 for blocking waits when the system has it (default true); false forces epoll_wait. */
  pwait2?: boolean;
}

/** Creates the epoll backend (netpollinit). Throws ErrnoError if the kernel refuses. */
export function createEpollBackend(opts: EpollOptions = {}): Backend {
  const ep = profile.epoll;
  if (epollLibc === undefined || ep === undefined) throw new Error(`netpoll: no epoll on ${profile.key}`);
  const sys = epollLibc;
  const { layout, consts: k } = ep;
  const { EINTR, EAGAIN } = profile.errno as Record<string, number>;

  // Shared: control words, the event array, then a timespec for epoll_pwait2.
  const tsOffset = controlBytes + Math.ceil((maxEvents * layout.size) / 8) * 8;
  const shared = new SharedArrayBuffer(tsOffset + 16);
  const timespec = new BigInt64Array(shared, tsOffset, 2);
  const timespecPtr = ffi.ptrOf(new Uint8Array(shared, tsOffset, 16));
  const ctl = new Int32Array(shared, 0, controlBytes / 4);
  // The event array read as u32 words: events at word 0 of each entry, the
  // tag at dataOffset/4 (slot) and the word after it (gen). dataOffset is 4
  // or 8, so every field is u32-aligned even in the packed x86_64 layout.
  const words = new Uint32Array(shared, controlBytes);
  const stride = layout.size / 4;
  const dataWord = layout.dataOffset / 4;
  const eventsView = new Uint8Array(shared, controlBytes); // kept: its pointer is held
  const eventsPtr = ffi.ptrOf(eventsView);
  // The main thread's own event buffer for inline polls, so it can poll even
  // while the poller thread is blocked in epoll_wait on the shared one
  // (several epoll_wait callers on one epoll fd are allowed; each event goes to one).
  // A SharedArrayBuffer because its pointer is kept (see the same buffer in kqueue.ts).
  const inlineView = new Uint8Array(new SharedArrayBuffer(maxEvents * layout.size));
  const inlineWords = new Uint32Array(inlineView.buffer);
  const inlinePtr = ffi.ptrOf(inlineView);

  const epfd = sys.epoll_create1(k.EPOLL_CLOEXEC);
  if (epfd < 0) throw new ErrnoError("epoll_create1", errnoCell[0]!);
  const wakeFd = sys.eventfd(0, k.EFD_NONBLOCK | k.EFD_CLOEXEC);
  if (wakeFd < 0) {
    const e = errnoCell[0]!;
    libc.close(epfd);
    throw new ErrnoError("eventfd", e);
  }

  // The deadline timer. A timed wait's relative timeout starts when the
  // poller thread enters epoll_wait, which in this VM was 0.3-0.9 ms after
  // the main thread asked (docs/PERFORMANCE.md), and the deadline fired that
  // much late. The timerfd is armed by the main thread as it asks, relative
  // to that moment, so the wait ends on time however late the thread starts.
  const timerFd = sys.timerfd_create(k.CLOCK_MONOTONIC, k.TFD_NONBLOCK | k.TFD_CLOEXEC);
  if (timerFd < 0) {
    const e = errnoCell[0]!;
    libc.close(wakeFd);
    libc.close(epfd);
    throw new ErrnoError("timerfd_create", e);
  }
  // struct itimerspec { it_interval, it_value }: the interval stays 0 (one shot).
  const itimer = new BigInt64Array(new SharedArrayBuffer(32));
  const itimerPtr = ffi.ptrOf(new Uint8Array(itimer.buffer));
  let timerArmed = false;
  function setTimer(ns: number): void {
    itimer[2] = BigInt(Math.floor(ns / 1e9));
    itimer[3] = BigInt(ns % 1e9);
    // Failure (it cannot fail with these arguments) would only cost precision:
    // the call's own timeout still ends the wait.
    if (sys.timerfd_settime(timerFd, 0, itimerPtr, null) === 0) timerArmed = ns !== 0;
  }

  // One epoll_event for epoll_ctl, reused (the main thread is the only caller).
  const ctlEvent = new Uint8Array(16);
  const ctlWords = new Uint32Array(ctlEvent.buffer);
  function setCtlEvent(events: number, slot: number, gen: number): void {
    ctlWords[0] = events;
    ctlWords[dataWord] = slot;
    ctlWords[dataWord + 1] = gen;
  }

  for (
    const [fd, slot, what] of [[wakeFd, wakeSlot, "wake eventfd"], [timerFd, timerSlot, "deadline timerfd"]] as const
  ) {
    setCtlEvent(k.EPOLLIN, slot, 0);
    if (sys.epoll_ctl(epfd, k.EPOLL_CTL_ADD, fd, ctlEvent) < 0) {
      const e = errnoCell[0]!;
      libc.close(timerFd);
      libc.close(wakeFd);
      libc.close(epfd);
      throw new ErrnoError("epoll_ctl", e, `registering the ${what}`);
    }
  }

  // wakeSig is Go's netpollWakeSig: 1 from the wake write until a blocking
  // poll reads the eventfd. Only the main thread touches it (it decodes the
  // poller thread's results), so it needs no atomics.
  let wakeSig = 0;
  const one = new BigUint64Array([1n]);
  const drain = new Uint8Array(16);
  const stats = { wakeWrites: 0, interrupted: 0 };

  const readMask = k.EPOLLIN | k.EPOLLRDHUP | k.EPOLLHUP | k.EPOLLERR;
  const writeMask = k.EPOLLOUT | k.EPOLLHUP | k.EPOLLERR;
  const hangupMask = k.EPOLLRDHUP | k.EPOLLHUP | k.EPOLLERR;
  // What prepareBlocking asked for, so completeBlocking can apply Go's EINTR rule.
  let waitms = 0;
  let blocking = false;

  // Prefer epoll_pwait2 for the blocking wait: it ends at a deadline to the
  // microsecond, where epoll_wait's millisecond timeout (and Go's rounding of
  // anything under 1 ms up to 1 ms) made deadlines fire 1-2 ms late. Probed
  // once: glibc may have the symbol on a kernel that answers ENOSYS.
  const pwait2 = opts.pwait2 !== false && epollPwait2Libc !== undefined && (() => {
    timespec[0] = 0n;
    timespec[1] = 0n;
    return epollPwait2Libc.epoll_pwait2(epfd, eventsPtr, maxEvents, timespecPtr, null) >= 0;
  })();
  // Both calls start (epfd, events, maxevents). Control word ctlArg0+1 is then
  // epoll_wait's timeout in ms, or for pwait2 whether the timespec is passed
  // (0: NULL, wait forever).
  const head = [
    { kind: "ctl", index: ctlArg0 },
    { kind: "ptr", offset: controlBytes },
    { kind: "int", value: maxEvents },
  ] as const;
  const blockingCall: BlockingCall = pwait2
    ? {
      symbol: "epoll_pwait2",
      spec: epollPwait2Symbols.epoll_pwait2,
      argv: [...head, { kind: "ptrOrNull", offset: tsOffset, index: ctlArg0 + 1 }, { kind: "null" }],
    }
    : { symbol: "epoll_wait", spec: epollSymbols.epoll_wait, argv: [...head, { kind: "ctl", index: ctlArg0 + 1 }] };

  function decode(words: Uint32Array, n: number, blocking: boolean, sink: ReadySink): number {
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const base = i * stride;
      const ev = words[base]!;
      if (ev === 0) continue;
      const slot = words[base + dataWord]!;
      if (slot === wakeSlot) {
        // A wake can be seen by a non-blocking poll; only a blocking poll
        // consumes it, so a wake meant for the poller thread is not lost.
        if (blocking) {
          libc.read(wakeFd, drain, 8);
          wakeSig = 0;
        }
        continue;
      }
      if (slot === timerSlot) {
        // The same rule: an expiry seen inline stays readable, so the
        // blocked thread still returns for it. The main thread fires due
        // timers after every poll, so it needs no event of its own.
        if (blocking) {
          libc.read(timerFd, drain, 8);
          timerArmed = false;
        }
        continue;
      }
      let mode = 0;
      if ((ev & readMask) !== 0) mode += modeR;
      if ((ev & writeMask) !== 0) mode += modeW;
      if (mode !== 0) {
        // Exactly EPOLLERR (no IN/OUT/HUP with it) marks the descriptor as failed.
        sink(slot, words[base + dataWord + 1]!, mode, ev === k.EPOLLERR, (ev & hangupMask) !== 0);
        delivered++;
      }
    }
    return delivered;
  }

  function fail(result: number, e: number): number {
    if (result >= 0) return result;
    // EINTR in a timed or non-blocking wait: return empty and let the caller
    // recompute its delay (Go retries only an infinite wait; our caller polls again anyway).
    if (e === EINTR) {
      stats.interrupted++;
      return 0;
    }
    throw new ErrnoError("epoll_wait", e);
  }

  const backend: Backend = {
    name: "epoll",
    shared,
    libPath: profile.libc,
    errnoSymbol: profile.errnoSymbol,
    openSyscall: "epoll_ctl",
    stats,
    blockingCall,
    open(fd, slot, gen) {
      setCtlEvent(k.EPOLLIN | k.EPOLLOUT | k.EPOLLRDHUP | k.EPOLLET, slot, gen);
      return sys.epoll_ctl(epfd, k.EPOLL_CTL_ADD, fd, ctlEvent) < 0 ? errnoCell[0]! : 0;
    },
    close(fd) {
      return sys.epoll_ctl(epfd, k.EPOLL_CTL_DEL, fd, ctlEvent) < 0 ? errnoCell[0]! : 0;
    },
    arm() {
      // Edge-triggered and registered for both directions at open: nothing to do.
    },
    pollInline(sink) {
      for (;;) {
        const n = sys.epoll_wait(epfd, inlinePtr, maxEvents, 0);
        if (n >= 0) return decode(inlineWords, n, false, sink);
        const e = errnoCell[0]!;
        if (e !== EINTR) throw new ErrnoError("epoll_wait", e);
        stats.interrupted++;
      }
    },
    prepareBlocking(delayNs) {
      blocking = delayNs !== 0;
      // Arming also clears an expiry nobody consumed (timerfd_settime resets the count).
      if (delayNs > 0) setTimer(Math.max(1, Math.ceil(delayNs)));
      else if (delayNs < 0 && timerArmed) setTimer(0);
      ctl[ctlArg0] = epfd;
      if (pwait2) {
        ctl[ctlArg0 + 1] = delayNs < 0 ? 0 : 1;
        if (delayNs >= 0) {
          const ns = Math.min(Math.ceil(delayNs), 1e18);
          timespec[0] = BigInt(Math.floor(ns / 1e9));
          timespec[1] = BigInt(ns % 1e9);
        }
      } else {
        // With the timerfd armed, the call's own timeout is only a backstop:
        // rounded up, so it cannot end the wait before the timer does.
        waitms = delayNs > 0 && timerArmed ? Math.min(Math.ceil(delayNs / 1e6), 1e9) : epollWaitMs(delayNs);
        ctl[ctlArg0 + 1] = waitms;
      }
    },
    completeBlocking(result, e, sink) {
      const n = fail(result, e);
      return decode(words, n, blocking, sink);
    },
    pollHere(delayNs, sink) {
      backend.prepareBlocking(delayNs);
      const r = pwait2
        ? epollPwait2Libc!.epoll_pwait2(epfd, eventsPtr, maxEvents, delayNs < 0 ? null : timespecPtr, null)
        : sys.epoll_wait(epfd, eventsPtr, maxEvents, waitms);
      return backend.completeBlocking(r, r < 0 ? errnoCell[0]! : 0, sink);
    },
    wake() {
      if (wakeSig !== 0) return;
      wakeSig = 1;
      for (;;) {
        const n = libc.write(wakeFd, one, 8);
        if (n === 8) {
          stats.wakeWrites++;
          return;
        }
        const e = errnoCell[0]!;
        if (e === EINTR) continue;
        // EAGAIN: the counter is saturated, so a wake is already pending.
        if (e === EAGAIN) return;
        throw new ErrnoError("write", e, "netpollBreak on the wake eventfd");
      }
    },
    isPollDescriptor(fd) {
      return fd === epfd || fd === wakeFd || fd === timerFd;
    },
    destroy() {
      libc.close(timerFd);
      libc.close(wakeFd);
      libc.close(epfd);
    },
  };
  return backend;
}
