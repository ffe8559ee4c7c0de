/**
 * The interface every OS backend implements: Go's platform half of the
 * poller (netpollinit, netpollopen, netpollclose, netpollarm, netpoll,
 * netpollBreak, netpollIsPollDescriptor), plus a description of its one
 * blocking call so the poller thread can make it.
 *
 * Platform differences live in the backend file, never in the core.
 *
 * @module
 */
import type { BackendName } from "../ffi/profile.ts";
import type { SymbolSpec } from "../ffi/types.ts";

/** Go's mode values: 'r', 'w', and 'r'+'w'. Kept as Go's numbers so the core reads like the seed. */
export const modeR = 0x72;
/** Write mode ('w'). */
export const modeW = 0x77;
/** Both modes ('r'+'w'). */
export const modeRW = modeR + modeW;

/**
 * Receives one readiness event: Go's `netpollready(pd, mode)` plus the
 * `setEventErr` that precedes it. `hangup`: the event says the peer hung up
 * or the descriptor failed (epoll RDHUP/HUP/ERR), so reads will end without
 * another edge. `slot` and `gen` are the tag the backend
 * stored in the kernel's user word at open; the core drops the event when
 * the slot has been closed or reused since (Go's fdseq).
 */
export type ReadySink = (slot: number, gen: number, mode: number, eventErr: boolean, hangup: boolean) => void;

/** The slot value of the tag that marks the backend's own wake descriptor. */
export const wakeSlot = 0xffffffff;

// The first `controlBytes` of a backend's shared buffer are the control words
// of the poller-thread protocol (src/core/poller_thread.ts):
/** Bytes reserved at the start of {@linkcode Backend.shared} for the control words. */
export const controlBytes = 64;
/** Control word: the request state (see poller_thread.ts). */
export const ctlState = 0;
/** Control word: the blocking call's return value. */
export const ctlResult = 1;
/** Control word: errno after the blocking call, 0 if it succeeded. */
export const ctlErrno = 2;
/** Control words from here on hold the call's integer arguments. */
export const ctlArg0 = 3;

/** One argument of the blocking call, as the poller thread builds it. */
export type WorkerArg =
  /** A constant integer. */
  | { readonly kind: "int"; readonly value: number }
  /** An integer the main thread writes into control word `index` before each request. */
  | { readonly kind: "ctl"; readonly index: number }
  /** The address of byte `offset` of the shared buffer. */
  | { readonly kind: "ptr"; readonly offset: number }
  /** As `ptr`, or NULL while control word `index` is 0 (an optional timeout struct). */
  | { readonly kind: "ptrOrNull"; readonly offset: number; readonly index: number }
  /** NULL. */
  | { readonly kind: "null" };

/** The backend's blocking wait, described so a thread with only libc can make it. */
export interface BlockingCall {
  readonly symbol: string;
  readonly spec: SymbolSpec;
  readonly argv: readonly WorkerArg[];
}

/** A readiness backend. One instance per poller (per isolate). */
export interface Backend {
  readonly name: BackendName;
  /** Control words, then the event buffer the kernel fills: shared with the poller thread. */
  readonly shared: SharedArrayBuffer;
  /** The library the poller thread opens, and its errno accessor symbol. */
  readonly libPath: string;
  readonly errnoSymbol: string;
  readonly blockingCall: BlockingCall;
  /** The syscall named in an error from {@linkcode open}. */
  readonly openSyscall: string;
  /**
   * Counters for tests and benchmarks: wake-up writes, and polls a signal
   * interrupted (EINTR; each returned empty and the caller polled again).
   */
  readonly stats: { wakeWrites: number; interrupted: number };
  /** netpollopen: start reporting readiness of `fd`, tagged (slot, gen). Returns 0 or an errno. */
  open(fd: number, slot: number, gen: number): number;
  /** netpollclose: stop reporting `fd`, opened in `slot`. Returns 0 or an errno. */
  close(fd: number, slot: number): number;
  /** netpollarm: level-triggered backends re-arm `mode` before a wait; edge-triggered ones do nothing. */
  arm(fd: number, slot: number, gen: number, mode: number): void;
  /**
   * netpoll(0) on the main thread, into a buffer of its own: callable at any
   * time, also while the poller thread is blocked. Returns how many readiness
   * events it delivered to `sink`.
   */
  pollInline(sink: ReadySink): number;
  /** Writes the blocking call's arguments for netpoll(delayNs) (delayNs < 0: forever). */
  prepareBlocking(delayNs: number): void;
  /** Decodes what the blocking call left in the shared buffer. Returns the events delivered. */
  completeBlocking(result: number, errno: number, sink: ReadySink): number;
  /** netpoll(delayNs) made on the calling thread: prepare, call, complete. For tests and shutdown. */
  pollHere(delayNs: number, sink: ReadySink): number;
  /** netpollBreak: interrupt a blocking wait. Deduplicated until a blocking poll consumes it. */
  wake(): void;
  /** netpollIsPollDescriptor. */
  isPollDescriptor(fd: number): boolean;
  /** Closes the backend's own descriptors. */
  destroy(): void;
}
