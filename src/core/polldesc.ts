/**
 * pollDesc: Go's per-descriptor poller state (runtime/netpoll.go), one per
 * open descriptor.
 *
 * Go guards these fields with atomics and pd.lock because the poller, timers
 * and goroutines run on many threads. Here every field is touched only by the
 * isolate's main thread: the poller thread makes the blocking syscall and
 * nothing else (see loop.ts). So there are no locks; the ordering rules that
 * Go's comments state still hold and are kept where they matter.
 *
 * @module
 */

// rg and wg are Go's binary semaphores. The states:
/** nil: no notification pending, no waiter. */
export const pdNil = 0;
/** pdReady: an I/O readiness notification is pending; the next wait consumes it. */
export const pdReady = 1;
/**
 * pdWait: in Go, a goroutine has decided to park but has not parked yet, and
 * another thread may post readiness or a timeout in between. Here deciding
 * and parking are one synchronous step on the only thread that touches rg/wg,
 * so this state is never observed; it is listed so the table matches the seed.
 */
export const pdWait = 2;
/** The "G pointer" state: a waiter is parked; its resolver is in rwake/wwake. */
export const pdParked = 3;

// pollInfo bits: the summary netpollcheckerr reads (Go's atomicInfo).
/** The descriptor is being closed (pollUnblock ran). */
export const pollClosing = 1 << 0;
/** A poll event on the descriptor reported an error (EPOLLERR alone). */
export const pollEventErr = 1 << 1;
/** The read deadline has passed. */
export const pollExpiredReadDeadline = 1 << 2;
/** The write deadline has passed. */
export const pollExpiredWriteDeadline = 1 << 3;

/** What a parked waiter is told when it wakes: a PollCode value. */
export type Wake = (code: number) => void;

/** A deadline timer: Go's pd.rt / pd.wt. Lives in the poller's timer heap while armed. */
export class DeadlineTimer {
  /** When it fires, in nanotime() nanoseconds. */
  when = 0;
  /** The pd's rseq/wseq when it was armed; a mismatch at firing means it is stale. */
  seq = 0;
  /** What firing does (netpollReadDeadline, ...); null when unset (Go's `t.f == nil`). */
  f: ((pd: PollDescImpl, seq: number) => void) | null = null;
  /** Position in the heap, -1 when not in it. Owned by TimerHeap. */
  index = -1;
  constructor(readonly pd: PollDescImpl) {}
}

/** The public face of a pollDesc: which fd it is for. *
 * @example
 * ```ts
 * import { type PollDesc, pollOpen } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd: PollDesc = pollOpen(fd);
 * console.log(pd.fd === fd); // true
 * ```
 */
export interface PollDesc {
  /** The descriptor this pollDesc watches. */
  readonly fd: number;
}

/**
 * A pollDesc. A new object per pollOpen: the kernel is handed a
 * (slot, generation) tag, never a reference, so objects need not be
 * type-stable as Go's are, and a handle kept after pollClose can be detected
 * (`freed`) rather than silently aliasing the next descriptor in its slot.
 */
export class PollDescImpl implements PollDesc {
  /** Constant for the pollDesc's life. */
  readonly fd: number;
  /** Index in the pollCache; with `gen`, the tag the kernel returns with each event. */
  readonly slot: number;
  /** The slot's generation when this pollDesc took it. */
  readonly gen: number;

  /** Set by pollClose. A freed pollDesc is refused by every call. */
  freed = false;
  /** Whether a waiter parked here holds the process alive (pollSetRef; default true). */
  ref = true;
  /**
   * Sticky: an event said the peer hung up or the descriptor failed. After
   * that, reads end (EOF, an errno) without a further edge, so the FD layer
   * must not skip a read on the strength of "no new edge" (pollNoNewInput).
   */
  hangup = false;

  /**
   * Go's atomicInfo: the bits netpollcheckerr reads. Written only by
   * publishInfo (from closing/rd/wd) and setEventErr (the eventErr bit,
   * whose only source of truth is here). publishInfo must run after any
   * change to closing, rd or wd and before netpollunblock, because it is
   * what stops a wait from parking anew.
   */
  info = 0;

  /** Read semaphore: pdNil, pdReady or pdParked. */
  rg = pdNil;
  /** Write semaphore. */
  wg = pdNil;
  /** The parked reader's wake function (when rg is pdParked). */
  rwake: Wake | null = null;
  /** The parked writer's wake function (when wg is pdParked). */
  wwake: Wake | null = null;
  /** The parked reader came from pollWaitCanceled: it waits for I/O only. */
  rwaitio = false;
  /** The parked writer came from pollWaitCanceled. */
  wwaitio = false;

  /** pollUnblock has run. */
  closing = false;
  /** Invalidates stale read timers: bumped whenever the read timer is reset or the pd closes. */
  rseq = 0;
  /**
   * Read deadline timer (set when rt.f !== null); the combined timer when
   * rd === wd. Made on first use: most descriptors never get a deadline, and
   * every open one holds its pollDesc (bench/idle.ts). Test `rtSet` rather
   * than `rt.f`, which would make it.
   */
  get rt(): DeadlineTimer {
    return (this.#rt ??= new DeadlineTimer(this));
  }
  #rt: DeadlineTimer | null = null;
  /** Whether the read timer is set (Go's `pd.rt.f != nil`), without making it. */
  get rtSet(): boolean {
    return this.#rt !== null && this.#rt.f !== null;
  }
  /** Read deadline: a nanotime() in the future, 0 for none, -1 once expired. */
  rd = 0;
  /** Invalidates stale write timers. */
  wseq = 0;
  /** Write deadline timer, made on first use as `rt`. */
  get wt(): DeadlineTimer {
    return (this.#wt ??= new DeadlineTimer(this));
  }
  #wt: DeadlineTimer | null = null;
  /** Whether the write timer is set, without making it. */
  get wtSet(): boolean {
    return this.#wt !== null && this.#wt.f !== null;
  }
  /** Write deadline, as rd. */
  wd = 0;

  constructor(fd: number, slot: number, gen: number) {
    this.fd = fd;
    this.slot = slot;
    this.gen = gen;
  }

  /** Recomputes the info bits from closing, rd and wd, keeping eventErr. */
  publishInfo(): void {
    let info = this.info & pollEventErr;
    if (this.closing) info |= pollClosing;
    if (this.rd < 0) info |= pollExpiredReadDeadline;
    if (this.wd < 0) info |= pollExpiredWriteDeadline;
    this.info = info;
  }

  /** Sets or clears the eventErr bit. */
  setEventErr(b: boolean): void {
    this.info = b ? this.info | pollEventErr : this.info & ~pollEventErr;
  }
}
