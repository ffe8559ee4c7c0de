/**
 * Go's runtime poll API (poll_runtime_poll* in runtime/netpoll.go) and the
 * state machine under it: netpollblock, netpollunblock, netpollready,
 * netpollcheckerr, netpolldeadlineimpl. Function for function, so the code
 * can be held against the seed; where it departs, the comment says why.
 *
 * @module
 */
import type { Backend } from "../backends/backend.ts";
import { modeR, modeRW, modeW } from "../backends/backend.ts";
import { createEpollBackend } from "../backends/epoll.ts";
import { createKqueueBackend } from "../backends/kqueue.ts";
import { createPortsBackend } from "../backends/ports.ts";
import { ErrnoError } from "../ffi/errors.ts";
import { profile } from "../ffi/libc.ts";
import { UsageError } from "./errors.ts";
import { Poller, zeroStats } from "./loop.ts";
import {
  pdNil,
  pdParked,
  pdReady,
  pollClosing,
  type PollDesc,
  PollDescImpl,
  pollEventErr,
  pollExpiredReadDeadline,
  pollExpiredWriteDeadline,
  type Wake,
} from "./polldesc.ts";
import { nanotime } from "./timers.ts";

/**
 * The codes pollReset and pollWait return (Go's pollNoError, pollErrClosing,
 * pollErrTimeout, pollErrNotPollable).
 *
 * @example
 * ```ts
 * import { PollCode, pollOpen, pollSetDeadline, pollWait } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * pollSetDeadline(pd, 5e6, "r"); // 5 ms
 * if ((await pollWait(pd, "r")) === PollCode.Timeout) console.log("no data in 5 ms");
 * ```
 */
export const PollCode = {
  /** Ready. */
  None: 0,
  /** The pollDesc is being closed (pollUnblock ran). */
  Closing: 1,
  /** The deadline for this mode has passed. */
  Timeout: 2,
  /** The descriptor reported an error event, or the poller failed. */
  NotPollable: 3,
} as const;

/** A PollCode value. */
export type PollCode = (typeof PollCode)[keyof typeof PollCode];

/** A wait mode: read or write. *
 * @example
 * ```ts
 * import { type WaitMode, pollOpen, pollWait } from "@netpoll/netpoll";
 * declare const fd: number;
 * const mode: WaitMode = "w";
 * await pollWait(pollOpen(fd), mode);
 * ```
 */
export type WaitMode = "r" | "w";
/** A deadline mode: read, write, or both. *
 * @example
 * ```ts
 * import { type DeadlineMode, pollOpen, pollSetDeadline } from "@netpoll/netpoll";
 * declare const fd: number;
 * const both: DeadlineMode = "rw";
 * pollSetDeadline(pollOpen(fd), 1e9, both); // one second, both directions
 * ```
 */
export type DeadlineMode = "r" | "w" | "rw";

export type { PollDesc };

// Resolved promises for each code, shared: a wait that needs no park allocates nothing.
const codePromise: readonly Promise<number>[] = [0, 1, 2, 3].map((c) => Promise.resolve(c));

/** The largest deadline (Go's 1<<63 - 1), where an overflowing one is clamped. */
const maxDeadline = 2 ** 63;

let poller: Poller | null = null;

/** A new backend of this OS's kind (the poller makes one; tests make private ones). */
export function createBackend(): Backend {
  switch (profile.backend) {
    case "epoll":
      return createEpollBackend();
    case "kqueue":
      return createKqueueBackend();
    case "ports":
      return createPortsBackend();
  }
}

/** netpollGenericInit: the poller is made on first use, once per isolate. */
function netpollGenericInit(): Poller {
  if (poller === null) poller = new Poller(createBackend(), ready, onFatal);
  return poller;
}

/** The poller, if one was made (for tests and the FD layer). */
export function currentPoller(): Poller | null {
  return poller;
}

function onFatal(e: Error): void {
  // Every parked waiter is woken with NotPollable and later waits report it
  // too (netpollcheckerr), so no waiter hangs on a dead poller.
  const p = poller!;
  for (const pd of p.cache.all()) {
    for (const mode of [modeR, modeW]) {
      const w = netpollunblock(pd, mode, false);
      if (w !== null) {
        p.unparked(pd.ref);
        w(PollCode.NotPollable);
      }
    }
  }
  console.error(e);
}

// ---- argument checks: every public call names itself in its errors ----

function use(call: string, pd: PollDesc): PollDescImpl {
  if (!(pd instanceof PollDescImpl)) {
    throw new TypeError(`${call}: expected a PollDesc from pollOpen, got ${typeof pd}`);
  }
  if (pd.freed) throw new UsageError(call, `the pollDesc for fd ${pd.fd} is closed`);
  return pd;
}

/** Throws a TypeError naming `call` unless `fd` is a 32-bit integer (the kernel decides the rest: EBADF). */
export function checkFd(call: string, fd: unknown): asserts fd is number {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < -(2 ** 31) || fd >= 2 ** 31) {
    throw new TypeError(`${call}: fd must be a 32-bit integer, got ${typeof fd === "bigint" ? `${fd}n` : String(fd)}`);
  }
}

function waitMode(call: string, mode: WaitMode): number {
  if (mode === "r") return modeR;
  if (mode === "w") return modeW;
  throw new TypeError(`${call}: mode must be "r" or "w", got ${JSON.stringify(mode)}`);
}

function deadlineMode(call: string, mode: DeadlineMode): number {
  if (mode === "rw") return modeRW;
  return waitMode(call, mode as WaitMode);
}

function modeName(mode: number): string {
  return mode === modeR ? "read" : "write";
}

// ---- the API ----

/**
 * poll_runtime_pollOpen: starts watching `fd`, which must be non-blocking for
 * the FD-style loops to work. Throws {@linkcode ErrnoError} if the kernel
 * refuses it (EBADF for a bad fd, EPERM for a regular file on epoll).
 *
 * @example
 * ```ts
 * import { pollOpen, pollClose, pollUnblock } from "@netpoll/netpoll";
 * declare const fd: number; // a socket, pipe, eventfd, tty...
 * const pd = pollOpen(fd);
 * // ... pollWait(pd, "r") ...
 * pollUnblock(pd);
 * pollClose(pd);
 * ```
 */
export function pollOpen(fd: number): PollDesc {
  checkFd("pollOpen", fd);
  const p = netpollGenericInit();
  const pd = p.cache.alloc(fd);
  // A new object starts as Go's pollOpen leaves a reused one: rg = wg = nil,
  // rd = wd = 0, not closing, eventErr clear, info published.
  pd.publishInfo();
  const errno = p.backend.open(fd, pd.slot, pd.gen);
  if (errno !== 0) {
    pd.freed = true;
    p.cache.free(pd);
    throw new ErrnoError(p.backend.openSyscall, errno, `pollOpen(${fd})`);
  }
  return pd;
}

/**
 * poll_runtime_pollClose: stops watching the fd and frees the pollDesc. The fd
 * itself is the caller's to close, after this. Throws {@linkcode UsageError}
 * unless {@linkcode pollUnblock} came first (Go: "close polldesc w/o unblock").
 *
 * @example
 * ```ts
 * import { pollClose, pollOpen, pollUnblock } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * pollUnblock(pd); // parked waits end with PollCode.Closing
 * pollClose(pd); // then the fd is no longer watched; closing it is yours
 * ```
 */
export function pollClose(pdh: PollDesc): void {
  const pd = use("pollClose", pdh);
  if (!pd.closing) throw new UsageError("pollClose", `pollUnblock must come first (fd ${pd.fd})`);
  if (pd.rg === pdParked || pd.wg === pdParked) {
    throw new UsageError("pollClose", `a pollWaitCanceled waiter is still parked on fd ${pd.fd}`);
  }
  const p = poller!;
  p.backend.close(pd.fd, pd.slot);
  pd.freed = true;
  p.cache.free(pd);
}

/**
 * poll_runtime_pollReset: prepares for an I/O attempt in `mode`, dropping a
 * stale readiness notification. Returns a {@linkcode PollCode}.
 *
 * @example
 * ```ts
 * import { PollCode, pollOpen, pollReset } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * if (pollReset(pd, "r") === PollCode.None) {
 *   // try the read; on EAGAIN, await pollWait(pd, "r")
 * }
 * ```
 */
export function pollReset(pdh: PollDesc, mode: WaitMode): PollCode {
  const pd = use("pollReset", pdh);
  const m = waitMode("pollReset", mode);
  const errcode = netpollcheckerr(pd, m);
  if (errcode !== PollCode.None) return errcode;
  const state = m === modeR ? pd.rg : pd.wg;
  // Go stores nil unconditionally: its callers hold fdMutex, so nobody is
  // parked. Here the rule is checked rather than assumed, since a lost
  // waiter would also corrupt the keep-alive count.
  if (state === pdParked) throw new UsageError("pollReset", `a ${modeName(m)} wait is parked on fd ${pd.fd}`);
  if (m === modeR) pd.rg = pdNil;
  else pd.wg = pdNil;
  return PollCode.None;
}

/**
 * poll_runtime_pollWait: resolves when `fd` is ready in `mode`
 * ({@linkcode PollCode.None}), or with the reason it is not (Closing, Timeout,
 * NotPollable). Readiness that arrived before the call is kept and consumed.
 * A second wait in the same mode while one is parked rejects with
 * {@linkcode UsageError} and leaves the first one parked.
 *
 * @example
 * ```ts
 * import { PollCode, pollOpen, pollWait } from "@netpoll/netpoll";
 * declare const fd: number;
 * declare function tryRead(): number; // your read(2); -1 on EAGAIN
 * const pd = pollOpen(fd);
 * let n: number;
 * while ((n = tryRead()) < 0) {
 *   const code = await pollWait(pd, "r");
 *   if (code !== PollCode.None) throw new Error(`read not possible: code ${code}`);
 * }
 * ```
 */
export function pollWait(pdh: PollDesc, mode: WaitMode): Promise<number> {
  const pd = use("pollWait", pdh);
  const m = waitMode("pollWait", mode);
  const errcode = netpollcheckerr(pd, m);
  if (errcode !== PollCode.None) return codePromise[errcode]!;
  poller!.backend.arm(pd.fd, pd.slot, pd.gen, m);
  return netpollblock(pd, m, false);
}

/**
 * poll_runtime_pollWaitCanceled: waits for readiness only, ignoring closing
 * and deadlines (Go uses it after a failed cancel of async I/O).
 *
 * @example
 * ```ts
 * import { pollOpen, pollWaitCanceled } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * await pollWaitCanceled(pd, "w"); // returns only on writability
 * ```
 */
export async function pollWaitCanceled(pdh: PollDesc, mode: WaitMode): Promise<void> {
  const pd = use("pollWaitCanceled", pdh);
  const m = waitMode("pollWaitCanceled", mode);
  // Go calls this only on Windows, so it never arms; a level-triggered
  // backend (event ports) must, or the wait never hears of the descriptor.
  poller!.backend.arm(pd.fd, pd.slot, pd.gen, m);
  await netpollblock(pd, m, true);
}

/**
 * poll_runtime_pollSetDeadline: sets the deadline for `mode` to `d`
 * nanoseconds from now. 0 clears it; a negative `d` is already expired and
 * wakes a parked waiter at once with Timeout. A deadline past the clock's
 * range is clamped. A no-op once the pollDesc is closing.
 *
 * @example
 * ```ts
 * import { pollOpen, pollSetDeadline } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * pollSetDeadline(pd, 100e6, "rw"); // both directions, 100 ms from now
 * pollSetDeadline(pd, 0, "w"); // clear the write deadline
 * ```
 */
export function pollSetDeadline(pdh: PollDesc, d: number, mode: DeadlineMode): void {
  const pd = use("pollSetDeadline", pdh);
  const m = deadlineMode("pollSetDeadline", mode);
  if (typeof d !== "number" || Number.isNaN(d)) {
    throw new TypeError(`pollSetDeadline: d must be a number of nanoseconds, got ${String(d)}`);
  }
  if (pd.closing) return;
  const p = poller!;
  const rd0 = pd.rd;
  const wd0 = pd.wd;
  const combo0 = rd0 > 0 && rd0 === wd0;
  if (d > 0) {
    d += nanotime();
    // A deadline in the future whose sum overflows Go's int64 clock is clamped to the maximum.
    if (!(d < maxDeadline)) d = maxDeadline;
  } else if (d < 0) {
    d = -1;
  }
  if (m === modeR || m === modeRW) pd.rd = d;
  if (m === modeW || m === modeRW) pd.wd = d;
  pd.publishInfo();
  const combo = pd.rd > 0 && pd.rd === pd.wd;
  const rtf = combo ? netpollDeadline : netpollReadDeadline;
  if (!pd.rtSet) {
    if (pd.rd > 0) {
      pd.rt.f = rtf;
      // The timer carries the current rseq; at firing, a different rseq
      // means the descriptor was closed or the deadline reset since.
      pd.rt.seq = pd.rseq;
      p.timers.set(pd.rt, pd.rd);
      p.timerArmed(pd.rd);
    }
  } else if (pd.rd !== rd0 || combo !== combo0) {
    pd.rseq++; // invalidate current timers
    if (pd.rd > 0) {
      pd.rt.f = rtf;
      pd.rt.seq = pd.rseq;
      p.timers.set(pd.rt, pd.rd);
      p.timerArmed(pd.rd);
    } else {
      p.timers.delete(pd.rt);
      pd.rt.f = null;
    }
  }
  if (!pd.wtSet) {
    if (pd.wd > 0 && !combo) {
      pd.wt.f = netpollWriteDeadline;
      pd.wt.seq = pd.wseq;
      p.timers.set(pd.wt, pd.wd);
      p.timerArmed(pd.wd);
    }
  } else if (pd.wd !== wd0 || combo !== combo0) {
    pd.wseq++;
    if (pd.wd > 0 && !combo) {
      pd.wt.f = netpollWriteDeadline;
      pd.wt.seq = pd.wseq;
      p.timers.set(pd.wt, pd.wd);
      p.timerArmed(pd.wd);
    } else {
      p.timers.delete(pd.wt);
      pd.wt.f = null;
    }
  }
  // A deadline set in the past unblocks pending I/O now. publishInfo ran
  // above, so a woken waiter's netpollcheckerr sees the expiry.
  if (pd.rd < 0) netpollgoready(pd, modeR, netpollunblock(pd, modeR, false), false);
  if (pd.wd < 0) netpollgoready(pd, modeW, netpollunblock(pd, modeW, false), false);
}

/**
 * poll_runtime_pollUnblock: marks the pollDesc closing and wakes both
 * directions' waiters with {@linkcode PollCode.Closing}. Call it before
 * {@linkcode pollClose}; a second call throws {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { PollCode, pollOpen, pollUnblock, pollWait } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * const waiting = pollWait(pd, "r");
 * pollUnblock(pd);
 * console.log((await waiting) === PollCode.Closing); // true
 * ```
 */
export function pollUnblock(pdh: PollDesc): void {
  const pd = use("pollUnblock", pdh);
  if (pd.closing) throw new UsageError("pollUnblock", `fd ${pd.fd} is already unblocked`);
  const p = poller!;
  pd.closing = true;
  pd.rseq++;
  pd.wseq++;
  pd.publishInfo();
  const rg = netpollunblock(pd, modeR, false);
  const wg = netpollunblock(pd, modeW, false);
  if (pd.rtSet) {
    p.timers.delete(pd.rt);
    pd.rt.f = null;
  }
  if (pd.wtSet) {
    p.timers.delete(pd.wt);
    pd.wt.f = null;
  }
  netpollgoready(pd, modeR, rg, false);
  netpollgoready(pd, modeW, wg, false);
}

/**
 * poll_runtime_isPollServerDescriptor: whether `fd` is one of the poller's own
 * descriptors (the epoll fd, the wake eventfd), which must never be closed or
 * registered by a user.
 *
 * @example
 * ```ts
 * import { isPollServerDescriptor } from "@netpoll/netpoll";
 * declare const fd: number;
 * if (isPollServerDescriptor(fd)) throw new Error("that fd belongs to the poller");
 * ```
 */
export function isPollServerDescriptor(fd: number): boolean {
  checkFd("isPollServerDescriptor", fd);
  return poller !== null && poller.backend.isPollDescriptor(fd);
}

// ---- additions for the FD layer (not in Go's runtime API) ----

/**
 * What a wait cancelled by {@linkcode pollCancelWait} resolves with. Not a
 * PollCode: only the caller that cancelled sees it.
 */
export const pollCanceled = -1;

/**
 * Wakes the waiter parked in `mode`, if any, with {@linkcode pollCanceled},
 * leaving the pollDesc as it was otherwise (no readiness consumed, no
 * deadline touched). For per-operation AbortSignals, which Go does not have.
 * Returns whether a waiter was woken.
 */
export function pollCancelWait(pdh: PollDesc, mode: WaitMode): boolean {
  const pd = use("pollCancelWait", pdh);
  const m = waitMode("pollCancelWait", mode);
  let w: Wake | null = null;
  if (m === modeR && pd.rg === pdParked) {
    w = pd.rwake;
    pd.rwake = null;
    pd.rg = pdNil;
  } else if (m === modeW && pd.wg === pdParked) {
    w = pd.wwake;
    pd.wwake = null;
    pd.wg = pdNil;
  }
  if (w === null) return false;
  poller!.unparked(pd.ref);
  w(pollCanceled);
  return true;
}

/** What {@linkcode pollWaitFn} returns when it parked the callback. */
export const pollParked = -2;

/**
 * pollWait for a caller that keeps its own continuation (the FD layer's
 * reads): a PollCode when the wait ends at once (readiness was pending:
 * None; closing, an expired deadline, an error), else `wake` is parked, to be
 * called once with the code, and the result is {@linkcode pollParked}. No
 * promise is made, so a parked read holds only its caller's (bench/idle.ts).
 * `wake` runs inside the poll or the call that ends the wait (pollUnblock, a
 * deadline): it must not throw.
 */
export function pollWaitFn(pdh: PollDesc, mode: WaitMode, wake: Wake): number {
  const pd = use("pollWait", pdh);
  const m = waitMode("pollWait", mode);
  const errcode = netpollcheckerr(pd, m);
  if (errcode !== PollCode.None) return errcode;
  poller!.backend.arm(pd.fd, pd.slot, pd.gen, m);
  if (claim(pd, m, "pollWait")) return PollCode.None;
  park(pd, m, false, wake);
  return pollParked;
}

/**
 * Whether no input can have arrived since the last read drained the
 * descriptor: no readiness notification is pending (Go's pdReady) and no
 * event ever said the peer hung up or the descriptor failed. Edge-triggered
 * registration raises a new edge for any later byte, but an end of stream or
 * error that came with the last data raises none, hence the hang-up rule.
 * The FD layer uses it to skip a read that would return EAGAIN (see FD.read).
 */
export function pollNoNewInput(pdh: PollDesc): boolean {
  const pd = pdh as PollDescImpl;
  return pd.rg !== pdReady && !pd.hangup;
}

/**
 * Whether waiters parked on `pd` keep the process alive (default true), as
 * `ref()`/`unref()` on a Deno or Node socket. Takes effect for waiters
 * already parked too.
 */
export function pollSetRef(pdh: PollDesc, ref: boolean): void {
  const pd = use("pollSetRef", pdh);
  if (pd.ref === ref) return;
  pd.ref = ref;
  const parked = (pd.rg === pdParked ? 1 : 0) + (pd.wg === pdParked ? 1 : 0);
  if (parked > 0) poller!.refChanged(ref ? parked : -parked);
}

/**
 * Tells the poller an FD operation completed without parking; every so
 * often it polls inline so parked descriptors are not starved by busy ones
 * (Go's scheduler polls the network every few ticks, not only when idle).
 */
export function netpollTick(): void {
  poller?.tick();
}

/**
 * For an operation that completed without parking, before it goes on:
 * undefined while this macrotask's turn has time left, else a promise to
 * await, settled in the next turn (Go's Gosched). Busy connections would
 * otherwise run as one endless chain of continuations, and the runtime's
 * timers and I/O would never run (loop.ts turnNs).
 */
export function netpollYield(): Promise<void> | undefined {
  return poller?.yieldTurn();
}

// ---- Go's internals ----

/**
 * The backend's sink: a tagged event, checked against the slot's generation
 * (Go's fdseq), then netpollready. Exported for tests that inject events.
 */
export function ready(slot: number, gen: number, mode: number, eventErr: boolean, hangup: boolean): void {
  const p = poller!;
  const pd = p.cache.lookup(slot, gen);
  if (pd === undefined) {
    p.stats.staleEvents++; // closed, or the slot reused since: a stale event
    return;
  }
  pd.setEventErr(eventErr);
  if (hangup) pd.hangup = true;
  netpollready(pd, mode);
}

/** netpollready: the fd is ready in `mode` ('r', 'w' or 'r'+'w'). */
export function netpollready(pd: PollDescImpl, mode: number): void {
  if (mode === modeR || mode === modeRW) netpollgoready(pd, modeR, netpollunblock(pd, modeR, true), true);
  if (mode === modeW || mode === modeRW) netpollgoready(pd, modeW, netpollunblock(pd, modeW, true), true);
}

/** netpollcheckerr: why a wait in `mode` cannot proceed, or None. */
export function netpollcheckerr(pd: PollDescImpl, mode: number): PollCode {
  const info = pd.info;
  if ((info & pollClosing) !== 0) return PollCode.Closing;
  if (
    (mode === modeR && (info & pollExpiredReadDeadline) !== 0) ||
    (mode === modeW && (info & pollExpiredWriteDeadline) !== 0)
  ) return PollCode.Timeout;
  // An event error is reported only to readers: a write will fail with a more specific errno.
  if (mode === modeR && (info & pollEventErr) !== 0) return PollCode.NotPollable;
  if (poller!.fatal !== null) return PollCode.NotPollable;
  return PollCode.None;
}

/**
 * netpollblock: consume a pending notification, or park. Go's CAS loop
 * (nil → pdWait → G) collapses into one synchronous step: no other thread
 * can post readiness between the check and the park.
 */
function netpollblock(pd: PollDescImpl, mode: number, waitio: boolean): Promise<number> {
  let ready: boolean;
  try {
    ready = claim(pd, mode, waitio ? "pollWaitCanceled" : "pollWait");
  } catch (e) {
    return Promise.reject(e);
  }
  if (ready) return codePromise[PollCode.None]!;
  return new Promise<number>((wake) => park(pd, mode, waitio, wake));
}

/**
 * netpollblock's check before parking: true if a pending notification was
 * consumed (no park needed), false if the semaphore is free to park on.
 * Throws UsageError, naming `call`, if a waiter is already parked there.
 */
function claim(pd: PollDescImpl, mode: number, call: string): boolean {
  const state = mode === modeR ? pd.rg : pd.wg;
  if (state === pdReady) {
    if (mode === modeR) pd.rg = pdNil;
    else pd.wg = pdNil;
    return true;
  }
  if (state !== pdNil) {
    throw new UsageError(call, `double wait: a ${modeName(mode)} wait is already parked on fd ${pd.fd}`);
  }
  return false;
}

/** netpollblockcommit: `wake` is parked in `mode` (the semaphore was nil). */
function park(pd: PollDescImpl, mode: number, waitio: boolean, wake: Wake): void {
  if (mode === modeR) {
    pd.rg = pdParked;
    pd.rwake = wake;
    pd.rwaitio = waitio;
  } else {
    pd.wg = pdParked;
    pd.wwake = wake;
    pd.wwaitio = waitio;
  }
  poller!.parked(pd.ref); // netpollWaiters++
}

/**
 * netpollunblock: moves the semaphore to pdReady (I/O) or nil (timeout,
 * close) and returns the parked waiter's wake function, if there was one.
 * A readiness that finds nobody waiting is kept as pdReady.
 */
function netpollunblock(pd: PollDescImpl, mode: number, ioready: boolean): Wake | null {
  const old = mode === modeR ? pd.rg : pd.wg;
  if (old === pdReady) return null;
  if (old === pdNil && !ioready) {
    // Only I/O sets pdReady. A wait checks for timeout/close before parking.
    return null;
  }
  const next = ioready ? pdReady : pdNil;
  let w: Wake | null = null;
  if (mode === modeR) {
    pd.rg = next;
    if (old === pdParked) {
      w = pd.rwake;
      pd.rwake = null;
    }
  } else {
    pd.wg = next;
    if (old === pdParked) {
      w = pd.wwake;
      pd.wwake = null;
    }
  }
  return w;
}

/**
 * netpollgoready plus the woken goroutine's own continuation (the tail of
 * netpollblock and the retry loop of pollWait), run at wake time because a
 * JS waiter is a promise, not a thread that resumes later:
 * - woken by I/O: it consumes the pdReady notification and reports None;
 * - woken by timeout/close: it reports netpollcheckerr's code, or, if that
 *   is None (a deadline reset after it fired) or the waiter ignores errors
 *   (pollWaitCanceled), parks again as Go's loop would.
 */
function netpollgoready(pd: PollDescImpl, mode: number, w: Wake | null, ioready: boolean): void {
  if (w === null) return;
  let code: number = PollCode.None;
  if (ioready) {
    if (mode === modeR) pd.rg = pdNil;
    else pd.wg = pdNil;
  } else {
    const waitio = mode === modeR ? pd.rwaitio : pd.wwaitio;
    code = waitio ? PollCode.None : netpollcheckerr(pd, mode);
    if (code === PollCode.None) {
      if (mode === modeR) {
        pd.rg = pdParked;
        pd.rwake = w;
      } else {
        pd.wg = pdParked;
        pd.wwake = w;
      }
      return;
    }
  }
  poller!.unparked(pd.ref); // netpollWaiters--, after the waiter is made runnable (golang/go#61454)
  w(code);
}

/** netpolldeadlineimpl: a deadline timer fired; `seq` is the rseq/wseq it was armed with. */
function netpolldeadlineimpl(pd: PollDescImpl, seq: number, read: boolean, write: boolean): void {
  const currentSeq = read ? pd.rseq : pd.wseq;
  // A stale timer: the descriptor was closed or its deadline reset.
  if (seq !== currentSeq) return;
  let rg: Wake | null = null;
  if (read) {
    if (pd.rd <= 0 || !pd.rtSet) throw new Error("netpoll: internal: inconsistent read deadline");
    pd.rd = -1;
    pd.publishInfo();
    rg = netpollunblock(pd, modeR, false);
  }
  let wg: Wake | null = null;
  if (write) {
    if (pd.wd <= 0 || (!pd.wtSet && !read)) throw new Error("netpoll: internal: inconsistent write deadline");
    pd.wd = -1;
    pd.publishInfo();
    wg = netpollunblock(pd, modeW, false);
  }
  netpollgoready(pd, modeR, rg, false);
  netpollgoready(pd, modeW, wg, false);
}

function netpollDeadline(pd: PollDescImpl, seq: number): void {
  netpolldeadlineimpl(pd, seq, true, true);
}

function netpollReadDeadline(pd: PollDescImpl, seq: number): void {
  netpolldeadlineimpl(pd, seq, true, false);
}

function netpollWriteDeadline(pd: PollDescImpl, seq: number): void {
  netpolldeadlineimpl(pd, seq, false, true);
}

/** Counters for tests and benchmarks: open pollDescs, parked waiters, polls, hops, wakes. *
 * @example
 * ```ts
 * import { netpollStats, type NetpollStats } from "@netpoll/netpoll";
 * const s: NetpollStats = netpollStats();
 * console.log(`${s.open} open, ${s.waiters} waiting`);
 * ```
 */
export interface NetpollStats {
  /** Open pollDescs. */
  open: number;
  /** Parked waiters (Go's netpollWaiters). */
  waiters: number;
  /** Parked waiters that hold the process alive (on ref'd pollDescs). */
  refWaiters: number;
  /** Non-blocking polls made on the main thread. */
  inlinePolls: number;
  /** Blocking polls handed to the poller thread (thread hops). */
  blockingPolls: number;
  /** Readiness events delivered. */
  events: number;
  /** Deadline timers fired. */
  timersFired: number;
  /** Inline polls forced between macrotasks by busy FD operations (netpollTick). */
  tickPolls: number;
  /** Turns that ran past their budget, whose busy operations yielded to the event loop (netpollYield). */
  turnsYielded: number;
  /** Empty inline polls repeated while spinning before a blocking wait. */
  spinPolls: number;
  /** Events dropped because their tag named a closed or reused slot (Go's fdseq check). */
  staleEvents: number;
  /** Writes to the wake descriptor (netpollBreak after dedupe). */
  wakeWrites: number;
  /** Polls a signal interrupted (EINTR): each returned empty and was made again, as Go's netpoll does. */
  interrupted: number;
}

/**
 * A snapshot of the poller's counters; all zero before first use.
 *
 * @example
 * ```ts
 * import { netpollStats } from "@netpoll/netpoll";
 * const { waiters, blockingPolls } = netpollStats();
 * console.log(`${waiters} parked, ${blockingPolls} thread hops so far`);
 * ```
 */
export function netpollStats(): NetpollStats {
  const p = poller;
  if (p === null) return { open: 0, waiters: 0, refWaiters: 0, ...zeroStats(), wakeWrites: 0, interrupted: 0 };
  return {
    open: p.cache.open,
    waiters: p.waiters,
    refWaiters: p.refWaiters,
    ...p.stats,
    wakeWrites: p.backend.stats.wakeWrites,
    interrupted: p.backend.stats.interrupted,
  };
}

/**
 * Stops the poller thread and closes the poller's own descriptors; the next
 * pollOpen starts a new poller. Throws {@linkcode UsageError} while any
 * pollDesc is open. Not needed for a process to exit: an idle poller never
 * keeps it alive. For Workers and tests that want a clean teardown.
 *
 * @example
 * ```ts
 * import { netpollShutdown, pollClose, pollOpen, pollUnblock } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * pollUnblock(pd);
 * pollClose(pd);
 * await netpollShutdown(); // the poller thread has exited
 * ```
 */
export async function netpollShutdown(): Promise<void> {
  const p = poller;
  if (p === null) return;
  if (p.cache.open > 0) throw new UsageError("netpollShutdown", `${p.cache.open} pollDesc(s) are still open`);
  poller = null;
  await p.shutdown();
}
