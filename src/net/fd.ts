/**
 * FD: Go's internal/poll.FD on the poller. A non-blocking descriptor whose
 * reads and writes loop syscall → EAGAIN → pollWait → retry, with fdMutex
 * serializing each direction and close waiting for operations in flight.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { ErrnoError } from "../ffi/errors.ts";
import { errnoCell, libc, profile } from "../ffi/libc.ts";
import { maxIO } from "../ffi/symbols.ts";
import {
  netpollTick,
  netpollYield,
  pollCanceled,
  pollCancelWait,
  pollClose,
  PollCode,
  type PollDesc,
  pollNoNewInput,
  pollOpen,
  pollParked,
  pollReset,
  pollSetDeadline,
  pollSetRef,
  pollUnblock,
  pollWait,
  pollWaitFn,
  type WaitMode,
} from "../core/netpoll.ts";
import { type Deadline, deadlineToNs } from "./deadline.ts";
import { deadlineExceeded, ErrClosing, ErrDeadlineExceeded, ErrNotPollable } from "./errors.ts";
import { FdMutex } from "./fdmutex.ts";

const E = profile.errno as Readonly<Record<string, number>>;
const EAGAIN = E.EAGAIN!;
const EINTR = E.EINTR!;
const ECONNABORTED = E.ECONNABORTED!;
const { MSG_NOSIGNAL, SOCK_NONBLOCK, SOCK_CLOEXEC } = profile.sock;

/** What #tryRead returns on EAGAIN (never a byte count). */
const readAgain = -1;

/**
 * Reads readEach makes in a row, inside one wake, while every one fills the
 * buffer (more data is queued and no new edge will say so): past this, the
 * loop goes on from a setImmediate, so a peer that never stops sending cannot
 * hold the poll, and every other connection woken with it, for ever.
 */
const maxReadsPerWake = 16;

/**
 * Conn.readEach's callback: gets each read's byte count (the bytes are at the
 * start of the loop's buffer) and may return a promise, which the next read
 * waits for.
 *
 * @example
 * ```ts
 * import { connect, type OnData } from "@netpoll/netpoll";
 * const conn = await connect({ hostname: "127.0.0.1", port: 8080 });
 * const buf = new Uint8Array(4096);
 * let total = 0;
 * const count: OnData = (n) => {
 *   total += n;
 * };
 * await conn.readEach(buf, count); // until the peer closes
 * console.log(`${total} bytes`);
 * ```
 */
export type OnData = (n: number) => void | PromiseLike<unknown>;

/** Options for one read or write. *
 * @example
 * ```ts
 * import { connect, type OpOptions } from "@netpoll/netpoll";
 * const conn = await connect({ port: 8080 });
 * const opts: OpOptions = { signal: AbortSignal.timeout(1_000) };
 * await conn.read(new Uint8Array(1024), opts); // only this read gives up after 1 s
 * ```
 */
export interface OpOptions {
  /** Aborts this operation only: it rejects with the signal's reason; the FD stays usable. */
  signal?: AbortSignal;
}

/** How an FD was made. */
export interface FDOptions {
  /** close() closes the descriptor too (false for foreign fds from {@linkcode watch}). */
  owned: boolean;
  /** Reads use recv and writes send(MSG_NOSIGNAL), so a vanished peer is EPIPE and never SIGPIPE. */
  socket: boolean;
}

// The errors a write can end with whose bytesWritten it fills in (an abort
// rejects with the caller's own reason, which is not ours to change).
function isWriteFailure(e: unknown): e is ErrClosing | ErrDeadlineExceeded | ErrNotPollable | ErrnoError {
  return e instanceof ErrClosing || e instanceof ErrDeadlineExceeded || e instanceof ErrNotPollable ||
    e instanceof ErrnoError;
}

/** Throws a TypeError naming `call` unless `p` is a Uint8Array (what the syscalls are handed). */
function checkBuffer(call: string, p: unknown): asserts p is Uint8Array {
  if (!(p instanceof Uint8Array)) {
    const what = p === null ? "null" : typeof p === "object" ? p.constructor?.name ?? "object" : typeof p;
    throw new TypeError(`${call}: the buffer must be a Uint8Array, got ${what}`);
  }
}

/** `n`, after checking that it is a whole number from 0 to `max` (a byte count within the buffer). */
function checkCount(call: string, n: unknown, max: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(
      `${call}: the byte count must be a whole number from 0 to the buffer's ${max}, got ${String(n)}`,
    );
  }
  return n;
}

/** The options' signal, after checking that `opts` is undefined or an object whose signal is an AbortSignal. */
export function checkSignal(call: string, opts: unknown): AbortSignal | undefined {
  if (opts === undefined) return undefined;
  if (typeof opts !== "object" || opts === null) throw new TypeError(`${call}: options must be an object`);
  const signal = (opts as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${call}: options.signal must be an AbortSignal, got ${String(signal)}`);
  }
  return signal;
}

function pollError(op: string, code: number, signal?: AbortSignal): unknown {
  switch (code) {
    case PollCode.Closing:
      return new ErrClosing(op);
    case PollCode.Timeout:
      return deadlineExceeded(op);
    case pollCanceled:
      return signal?.reason ?? new DOMException("The operation was aborted", "AbortError");
    default:
      return new ErrNotPollable(op);
  }
}

/**
 * A non-blocking descriptor on the poller.
 *
 * @example
 * ```ts
 * import { FD } from "./fd.ts";
 * declare const sock: number; // a non-blocking socket
 * const fd = FD.open(sock, { owned: true, socket: true });
 * const buf = new Uint8Array(4096);
 * const n = await fd.read(buf); // 0 at end of stream
 * await fd.write(buf.subarray(0, n)); // writes all of it
 * fd.close();
 * ```
 */
export class FD {
  /** The descriptor. Valid until `closed` settles. */
  readonly sysfd: number;
  readonly #pd: PollDesc;
  readonly #mu = new FdMutex();
  readonly #owned: boolean;
  readonly #socket: boolean;
  /** Settles when close has finished; made on first use, before or after close. */
  #closed: Promise<void> | null = null;
  #closedResolve: (() => void) | null = null;
  #closeStarted = false;
  #closeFinished = false;
  /**
   * The last read returned fewer bytes than asked, or EAGAIN: the kernel's
   * queue was empty of data right after it. With edge-triggered registration
   * any byte that arrives later raises a new edge, which becomes pdReady once
   * a poll sees it. So while this is set and pollNoNewInput holds, a read
   * cannot succeed: park first and skip the EAGAIN syscall. Nothing is lost:
   * if data did arrive, its edge is pending in the kernel and the next poll
   * (at most a setImmediate away, or a tick) wakes the wait. An end of stream
   * that came with the last data raises no new edge; pollNoNewInput is false
   * once any hang-up event was seen.
   */
  #readDrained = false;
  // The read parked by #readLocked, while it waits (null/0 otherwise). The
  // read lock guarantees there is at most one.
  #rbuf: Uint8Array | null = null;
  #rlen = 0;
  #reofNull = false;
  #rresolve: ((n: number | null) => void) | null = null;
  #rreject: ((e: unknown) => void) | null = null;
  // readEach's loop, while it runs (null otherwise): its callback, and its
  // signal with the abort listener. The rest of its state is the parked
  // read's above, and it parks with the same #onReadable: the read lock
  // makes it the only reader, so a loop costs no closures of its own per
  // connection (bench/idle.ts: 1,363 B per idle connection on Bun with
  // them, against 849 for a parked read).
  #onData: OnData | null = null;
  #eachAbort: { signal: AbortSignal; onAbort: () => void } | null = null;

  private constructor(sysfd: number, pd: PollDesc, opts: FDOptions) {
    this.sysfd = sysfd;
    this.#pd = pd;
    this.#owned = opts.owned;
    this.#socket = opts.socket;
  }

  /** Puts `sysfd` (already non-blocking) on the poller. Throws ErrnoError (EPERM for a regular file, EBADF). */
  static open(sysfd: number, opts: FDOptions): FD {
    return new FD(sysfd, pollOpen(sysfd), opts);
  }

  /** Settles when close has finished: the descriptor is closed (if owned) and deregistered. */
  get closed(): Promise<void> {
    this.#closed ??= this.#closeFinished
      ? Promise.resolve()
      : new Promise<void>((resolve) => (this.#closedResolve = resolve));
    return this.#closed;
  }

  /** Whether close() has been called. */
  get closing(): boolean {
    return this.#closeStarted;
  }

  /**
   * Waits for readiness in `mode`; resolves with the PollCode, or
   * pollCanceled if `signal` aborted it. Await it, then #check the code.
   * Without a signal this is pollWait's own promise: no async frame of its
   * own is held by every parked operation (bench/idle.ts: ~250 B each).
   */
  #waitCode(mode: WaitMode, signal: AbortSignal | undefined): Promise<number> {
    return signal === undefined ? pollWait(this.#pd, mode) : this.#waitAbortable(mode, signal);
  }

  async #waitAbortable(mode: WaitMode, signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw signal.reason;
    const onAbort = () => pollCancelWait(this.#pd, mode);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await pollWait(this.#pd, mode);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Throws the error for a wait that ended with `code` (deadline, close, abort...), unless it is None. */
  #check(op: string, code: number, signal: AbortSignal | undefined): void {
    if (code !== PollCode.None) throw pollError(op, code, signal);
  }

  #prepare(op: string, mode: WaitMode): void {
    const code = pollReset(this.#pd, mode);
    if (code !== PollCode.None) throw pollError(op, code);
  }

  /**
   * Reads into `p`: the bytes read, 0 at end of stream (or for an empty `p`).
   * A second concurrent read waits its turn. With `eofNull`, end of stream is
   * null instead (Deno's Conn.read), so Conn needs no async frame of its own.
   *
   * Without a signal, a read that must wait keeps its state in this FD's
   * fields (the read lock makes it the only one) and parks #onReadable with
   * pollWaitFn: a parked read then holds one promise, the caller's, rather
   * than async frames and the poller's promise (bench/idle.ts).
   */
  read(p: Uint8Array, opts?: OpOptions): Promise<number>;
  read(p: Uint8Array, opts: OpOptions | undefined, eofNull: true): Promise<number | null>;
  read(p: Uint8Array, opts?: OpOptions, eofNull = false): Promise<number | null> {
    let locked: Promise<void> | undefined;
    try {
      checkBuffer("read", p);
      const signal = checkSignal("read", opts);
      // A signal needs a listener around each wait: the general loop.
      if (signal !== undefined) return this.#readAbortable(p, signal, eofNull);
      locked = this.#mu.lock(true, "read");
    } catch (e) {
      return Promise.reject(e);
    }
    if (locked !== undefined) return locked.then(() => this.#readLocked(p, eofNull));
    return this.#readLocked(p, eofNull);
  }

  /** The read, holding the read lock, which is released exactly once when the result is settled. */
  #readLocked(p: Uint8Array, eofNull: boolean): Promise<number | null> {
    let r: number | null = readAgain;
    let len = 0;
    try {
      const skip = this.#readSkips();
      this.#prepare("read", "r");
      if (p.length === 0) r = 0;
      else {
        len = p.length < maxIO ? p.length : maxIO;
        if (!skip) r = this.#tryRead(p, len, eofNull);
      }
    } catch (e) {
      this.#mu.unlock(true);
      return Promise.reject(e);
    }
    if (r !== readAgain) {
      this.#mu.unlock(true);
      const turn = netpollYield();
      return turn === undefined ? Promise.resolve(r) : turn.then(() => r);
    }
    return new Promise<number | null>((resolve, reject) => {
      this.#rbuf = p;
      this.#rlen = len;
      this.#reofNull = eofNull;
      this.#rresolve = resolve;
      this.#rreject = reject;
      this.#parkRead();
    });
  }

  /**
   * Whether the next read should wait before its syscall: the last one was
   * short or found nothing (the socket was drained) and no readiness has come
   * since. Decided before pollReset, which drops a pending notification (Go's
   * prepareRead expects the syscall to cover it): skipping the syscall after
   * that would lose a real edge and park forever.
   */
  #readSkips(): boolean {
    return this.#readDrained && pollNoNewInput(this.#pd);
  }

  /**
   * One recv(2) (read(2) if not a socket): the result (null at end of stream
   * with `eofNull`), or readAgain on EAGAIN. Throws ErrnoError.
   */
  #tryRead(p: Uint8Array, len: number, eofNull: boolean): number | null {
    for (;;) {
      // recv for a socket: read(2) reaches the same code through the VFS
      // layer, 0.1-0.5 µs more per call (docs/PERFORMANCE.md).
      const n = this.#socket ? libc.recv(this.sysfd, p, len, 0) : libc.read(this.sysfd, p, len);
      if (n >= 0) {
        this.#readDrained = n > 0 && n < len;
        netpollTick();
        return n === 0 && eofNull ? null : n;
      }
      const e = errnoCell[0]!;
      if (e === EAGAIN) {
        // Empty right now, as after a short read: if the wait this leads to
        // ends without readiness (a deadline), the next read parks first.
        this.#readDrained = true;
        return readAgain;
      }
      if (e !== EINTR) throw new ErrnoError(this.#socket ? "recv" : "read", e);
    }
  }

  /** Waits for the parked read (#rbuf...): parks #onReadable, or goes on at once if the wait ended already. */
  #parkRead(): void {
    for (;;) {
      let code: number;
      try {
        code = pollWaitFn(this.#pd, "r", this.#onReadable);
      } catch (e) {
        this.#endRead(e, true);
        return;
      }
      if (code === pollParked || !this.#continueRead(code)) return;
    }
  }

  /** The parked read's (or readEach loop's) wake: runs inside the poll (or close, or the deadline) that ended the wait. */
  readonly #onReadable = (code: number): void => {
    if (this.#onData !== null) this.#eachWoke(code);
    else if (this.#continueRead(code)) this.#parkRead();
  };

  /** After a wait ended with `code`: settles the read (false), or says it must wait again (true). */
  #continueRead(code: number): boolean {
    let r: number | null;
    try {
      if (code !== PollCode.None) throw pollError("read", code);
      r = this.#tryRead(this.#rbuf!, this.#rlen, this.#reofNull);
    } catch (e) {
      this.#endRead(e, true);
      return false;
    }
    if (r === readAgain) return true;
    this.#endRead(r, false);
    return false;
  }

  /** Settles the parked read with a result or an error; the lock is released first, as a `finally` would. */
  #endRead(v: unknown, failed: boolean): void {
    const resolve = this.#rresolve!;
    const reject = this.#rreject!;
    this.#rbuf = null;
    this.#rresolve = null;
    this.#rreject = null;
    this.#mu.unlock(true);
    if (failed) reject(v);
    else resolve(v as number | null);
  }

  /** read() with an AbortSignal: the same steps as an async loop, the signal's listener held around each wait. */
  async #readAbortable(p: Uint8Array, signal: AbortSignal, eofNull: boolean): Promise<number | null> {
    if (signal.aborted) throw signal.reason;
    const locked = this.#mu.lock(true, "read");
    if (locked !== undefined) await locked;
    let r: number | null = 0;
    try {
      const skip = this.#readSkips();
      this.#prepare("read", "r");
      if (p.length === 0) return 0;
      const len = p.length < maxIO ? p.length : maxIO;
      if (skip) this.#check("read", await this.#waitCode("r", signal), signal);
      for (;;) {
        r = this.#tryRead(p, len, eofNull);
        if (r !== readAgain) break;
        this.#check("read", await this.#waitCode("r", signal), signal);
      }
    } finally {
      this.#mu.unlock(true);
    }
    const turn = netpollYield();
    if (turn !== undefined) await turn;
    return r;
  }

  /**
   * Reads into `p` until end of stream, calling `onData(n)` after each read
   * with the byte count, from inside the poll that found the data: no promise
   * per read, the shape of Bun.listen's data callback. `p` is reused by the
   * next read: if `onData` returns a promise (a write of `p` that waits, say),
   * the next read waits until it settles. Resolves at end of stream; rejects
   * with the first error (the read's, ErrDeadlineExceeded, ErrClosing, the
   * signal's reason, or what `onData` threw or rejected with). Holds the read
   * lock until then: other reads wait their turn.
   *
   * Each step is read()'s: the short-read rule, pollReset before every
   * syscall, a wait parked with pollWaitFn. The loop itself allocates
   * nothing per read; a promise from `onData` costs one `then`.
   */
  readEach(p: Uint8Array, onData: OnData, opts?: OpOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    let locked: Promise<void> | undefined;
    try {
      checkBuffer("readEach", p);
      if (p.length === 0) throw new RangeError("readEach: the buffer must not be empty");
      if (typeof onData !== "function") {
        throw new TypeError(`readEach: onData must be a function, got ${onData === null ? "null" : typeof onData}`);
      }
      signal = checkSignal("readEach", opts);
      if (signal?.aborted) throw signal.reason;
      locked = this.#mu.lock(true, "readEach");
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      const start = (): void => {
        this.#rbuf = p;
        this.#rlen = p.length < maxIO ? p.length : maxIO;
        this.#onData = onData;
        // #endRead settles with undefined for this promise (its cast).
        this.#rresolve = resolve as unknown as (n: number | null) => void;
        this.#rreject = reject;
        // Added only once this loop holds the read lock: before that, the
        // parked wait pollCancelWait would end is another read's.
        if (signal !== undefined) {
          const onAbort = (): void => void pollCancelWait(this.#pd, "r");
          this.#eachAbort = { signal, onAbort };
          signal.addEventListener("abort", onAbort, { once: true });
        }
        this.#eachNext(false);
      };
      if (locked === undefined) start();
      else locked.then(start, reject); // rejected in the queue (close): the lock was never held
    });
  }

  /**
   * readEach's loop: reads, and on while reads succeed without a wait.
   * `woken`: a wait just ended with readiness, so read without the
   * short-read check (the wake consumed the pdReady that check looks for).
   */
  #eachNext(woken: boolean): void {
    const p = this.#rbuf!;
    const len = this.#rlen;
    const onData = this.#onData!;
    for (let reads = 1;; reads++) {
      let r: number | null;
      try {
        const a = this.#eachAbort;
        if (a !== null && a.signal.aborted) throw a.signal.reason;
        // Drained and no readiness since: park at once. pollWaitFn makes
        // pollReset's checks (closing, deadline) and rg is already nil.
        if (!woken && this.#readSkips()) return this.#eachWait();
        this.#prepare("readEach", "r");
        r = this.#tryRead(p, len, true);
      } catch (e) {
        return this.#eachEnd(e, true);
      }
      woken = false;
      if (r === null) return this.#eachEnd(undefined, false);
      if (r === readAgain) return this.#eachWait();
      let v: void | PromiseLike<unknown>;
      try {
        v = onData(r);
        if (v != null && typeof v.then === "function") {
          // Promise.resolve: a foreign thenable's then() runs later and
          // settles once, so it can neither throw into this poll nor end
          // the loop twice (the second end would release the lock again).
          Promise.resolve(v).then(() => this.#eachResume(), (e: unknown) => this.#eachEnd(e, true));
          return;
        }
      } catch (e) {
        return this.#eachEnd(e, true);
      }
      if (reads >= maxReadsPerWake) return void setImmediate(() => this.#eachNext(false));
    }
  }

  /** Parks the loop (its wake is #onReadable, as a parked read's), or goes on at once if the wait ended already. */
  #eachWait(): void {
    let code: number;
    try {
      code = pollWaitFn(this.#pd, "r", this.#onReadable);
    } catch (e) {
      return this.#eachEnd(e, true);
    }
    if (code !== pollParked) this.#eachWoke(code);
  }

  #eachWoke(code: number): void {
    if (code !== PollCode.None) this.#eachEnd(pollError("readEach", code, this.#eachAbort?.signal), true);
    else this.#eachNext(true);
  }

  /** After onData's promise: a microtask, so the turn budget holds as after a read() that did not park. */
  #eachResume(): void {
    const turn = netpollYield();
    if (turn === undefined) this.#eachNext(false);
    else void turn.then(() => this.#eachNext(false));
  }

  /** Ends the loop: its signal listener off, then as a parked read ends (lock released, promise settled). */
  #eachEnd(v: unknown, failed: boolean): void {
    const a = this.#eachAbort;
    if (a !== null) a.signal.removeEventListener("abort", a.onAbort);
    this.#eachAbort = null;
    this.#onData = null;
    this.#endRead(v, failed);
  }

  /**
   * One send of as much of `p` (its first `n` bytes if given: no subarray to
   * make, which costs JSC more than the send's JS side) as the socket takes
   * now, without waiting: the bytes sent, 0 when it takes none now (its
   * buffer is full, or a write() is still sending, whose bytes must go
   * first). Bun's socket.write. Throws ErrClosing once closing,
   * ErrDeadlineExceeded past the write deadline, ErrnoError (EPIPE,
   * ECONNRESET).
   */
  tryWrite(p: Uint8Array, n?: number): number {
    checkBuffer("tryWrite", p);
    const len = n === undefined ? p.length : checkCount("tryWrite", n, p.length);
    // No lock taken: nothing here waits, so close cannot run in between
    // (what the lock's reference guards against); a held write lock means a
    // write() is part-way through, and its bytes go first.
    if (this.#mu.writeBusy("tryWrite")) return 0;
    this.#prepare("tryWrite", "w");
    const sent = len === 0 ? 0 : this.#send(p, len < maxIO ? len : maxIO);
    if (sent <= 0) return 0;
    netpollTick();
    return sent;
  }

  /**
   * Writes all of `p` (Go semantics), parking while the kernel buffer is full. Returns p.length.
   *
   * A write that finds the lock free and goes out in one send settles here
   * without an async frame (most writes of a request/response exchange); the
   * rest, and writes with a signal, go on in #writeLocked.
   */
  write(p: Uint8Array, opts?: OpOptions): Promise<number> {
    let locked: Promise<void> | undefined;
    try {
      checkBuffer("write", p);
      const signal = checkSignal("write", opts);
      if (signal !== undefined) return this.#writeAbortable(p, signal);
      locked = this.#mu.lock(false, "write");
    } catch (e) {
      return Promise.reject(e);
    }
    if (locked !== undefined) return locked.then(() => this.#writeLocked(p, undefined, 0, false, false));
    let n = 0;
    try {
      this.#prepare("write", "w");
      if (p.length > 0 && p.length <= maxIO) n = this.#send(p);
    } catch (e) {
      this.#mu.unlock(false);
      return Promise.reject(e);
    }
    if (n < p.length) return this.#writeLocked(p, undefined, n < 0 ? 0 : n, true, n < 0 && errnoCell[0] === EAGAIN);
    this.#mu.unlock(false);
    netpollTick();
    const turn = netpollYield();
    return turn === undefined ? Promise.resolve(p.length) : turn.then(() => p.length);
  }

  async #writeAbortable(p: Uint8Array, signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw signal.reason;
    const locked = this.#mu.lock(false, "write");
    if (locked !== undefined) await locked;
    return this.#writeLocked(p, signal, 0, false, false);
  }

  /**
   * One send(2) (write(2) if not a socket) of the first `len` bytes of `chunk`: the bytes sent, or -1 on EAGAIN
   * or EINTR, with errnoCell saying which. Throws ErrnoError.
   */
  #send(chunk: Uint8Array, len = chunk.length): number {
    const n = this.#socket ? libc.send(this.sysfd, chunk, len, MSG_NOSIGNAL) : libc.write(this.sysfd, chunk, len);
    if (n >= 0) return n;
    const e = errnoCell[0]!;
    if (e === EAGAIN || e === EINTR) return -1;
    throw new ErrnoError(this.#socket ? "send" : "write", e);
  }

  /**
   * The write from byte `off` on, holding the write lock, which it releases.
   * `prepared`: pollReset was done by the caller (Go's prepareWrite, once per
   * write). `full`: the caller's send just met EAGAIN, so wait before sending.
   */
  async #writeLocked(
    p: Uint8Array,
    signal: AbortSignal | undefined,
    off: number,
    prepared: boolean,
    full: boolean,
  ): Promise<number> {
    try {
      if (!prepared) this.#prepare("write", "w");
      while (off < p.length) {
        if (full) this.#check("write", await this.#waitCode("w", signal), signal);
        const chunk = off === 0 && p.length <= maxIO ? p : p.subarray(off, off + maxIO);
        const n = this.#send(chunk);
        if (n >= 0) off += n;
        full = n < 0 && errnoCell[0] === EAGAIN;
      }
      netpollTick();
    } catch (e) {
      // Go's Write returns (n, err): a caller that retries must know what
      // already went out, or the peer sees bytes twice.
      // The shared timeout is frozen and says 0: a write that sent bytes
      // reports them on an error of its own.
      if (isWriteFailure(e) && off > 0) {
        const err = e === deadlineExceeded("write") ? new ErrDeadlineExceeded("write") : e;
        err.bytesWritten = off;
        throw err;
      }
      throw e;
    } finally {
      this.#mu.unlock(false);
    }
    const turn = netpollYield();
    if (turn !== undefined) await turn;
    return p.length;
  }

  /**
   * Accepts a connection: the new non-blocking, close-on-exec descriptor and
   * the peer's address bytes. Retries ECONNABORTED (a connection reset while
   * queued). EMFILE and the like are ErrnoErrors; the listener stays usable.
   */
  async accept(opts?: OpOptions): Promise<{ fd: number; addr: Uint8Array }> {
    const signal = checkSignal("accept", opts);
    if (signal?.aborted) throw signal.reason;
    const locked = this.#mu.lock(true, "accept");
    if (locked !== undefined) await locked;
    let accepted: { fd: number; addr: Uint8Array };
    try {
      this.#prepare("accept", "r");
      const addr = new Uint8Array(128);
      const len = new Uint32Array(1);
      for (;;) {
        len[0] = addr.length;
        const s = libc.accept4(this.sysfd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s >= 0) {
          netpollTick();
          accepted = { fd: s, addr: addr.subarray(0, len[0]) };
          break;
        }
        const e = errnoCell[0]!;
        if (e === EAGAIN) this.#check("accept", await this.#waitCode("r", signal), signal);
        else if (e !== EINTR && e !== ECONNABORTED) throw new ErrnoError("accept4", e);
      }
    } finally {
      this.#mu.unlock(true);
    }
    const turn = netpollYield();
    if (turn !== undefined) await turn;
    return accepted;
  }

  /**
   * Waits until the descriptor may be readable, without reading: for fds
   * whose I/O the caller does itself. Edge-triggered: read until EAGAIN
   * before waiting again, or the wait may not end.
   */
  async waitRead(opts?: OpOptions): Promise<void> {
    await this.#waitLocked("waitRead", true, checkSignal("waitRead", opts));
  }

  /** Waits until the descriptor may be writable (see {@linkcode waitRead}). */
  async waitWrite(opts?: OpOptions): Promise<void> {
    await this.#waitLocked("waitWrite", false, checkSignal("waitWrite", opts));
  }

  async #waitLocked(op: string, read: boolean, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    const locked = this.#mu.lock(read, op);
    if (locked !== undefined) await locked;
    try {
      this.#check(op, await this.#waitCode(read ? "r" : "w", signal), signal);
    } finally {
      this.#mu.unlock(read);
    }
  }

  /** Sets the read and write deadlines (Go's SetDeadline). */
  setDeadline(t: Deadline): void {
    this.#setDeadline("setDeadline", t, "rw");
  }

  /** Sets the read deadline. A read past it fails with ErrDeadlineExceeded, even with data waiting. */
  setReadDeadline(t: Deadline): void {
    this.#setDeadline("setReadDeadline", t, "r");
  }

  /** Sets the write deadline. */
  setWriteDeadline(t: Deadline): void {
    this.#setDeadline("setWriteDeadline", t, "w");
  }

  #setDeadline(call: string, t: Deadline, mode: "r" | "w" | "rw"): void {
    const d = deadlineToNs(call, t);
    this.#mu.incref(call);
    try {
      pollSetDeadline(this.#pd, d, mode);
    } finally {
      this.#mu.decref();
    }
  }

  /**
   * Runs `fn` with the descriptor while holding a reference, so close cannot
   * release the fd number under it (Go's RawControl). Throws ErrClosing once
   * closing.
   */
  control<T>(call: string, fn: (sysfd: number) => T): T {
    this.#mu.incref(call);
    try {
      return fn(this.sysfd);
    } finally {
      this.#mu.decref();
    }
  }

  /** Whether parked operations keep the process alive (default true). */
  setRef(ref: boolean): void {
    if (!this.#mu.closing) pollSetRef(this.#pd, ref);
  }

  /**
   * Closes: parked operations fail at once with ErrClosing, queued ones too;
   * once every in-flight operation has returned, the descriptor is
   * deregistered and (if owned) closed. `closed` settles then. A second
   * close throws ErrClosing.
   */
  close(): void {
    const drained = this.#mu.close(); // throws ErrClosing on a second close
    this.#closeStarted = true;
    pollUnblock(this.#pd);
    const finish = (): void => {
      pollClose(this.#pd);
      this.#closeFinished = true;
      this.#closedResolve?.();
      if (this.#owned && libc.close(this.sysfd) < 0) {
        const e = errnoCell[0]!;
        // close(2) is not retried on EINTR (Linux frees the fd anyway).
        if (e !== EINTR) throw new ErrnoError("close", e);
      }
    };
    if (drained === undefined) finish();
    else void drained.then(finish);
  }
}
