/**
 * The poller thread: a `node:worker_threads` Worker built from `eval` source
 * (so Deno needs only --allow-ffi, and ref/unref work on both runtimes). It
 * does one thing: on request, it makes the backend's blocking call
 * (epoll_wait, kevent, port_getn) with the kernel writing events straight
 * into the shared buffer, stores the result and errno, and notifies.
 *
 * Protocol, over control word `ctlState` (Int32, in the shared buffer):
 *
 *     main:   IDLE/DONE --(args written, store REQUEST, notify)--> REQUEST
 *     thread: REQUEST   --(call, result+errno stored, store DONE, notify)--> DONE
 *     main:   Atomics.waitAsync(REQUEST) until the state is not REQUEST
 *             (a wake alone proves nothing) → reads result → store IDLE
 *     main:   any       --(store QUIT, notify, wake the backend)--> QUIT
 *     thread: QUIT      --(store STOPPED, notify, exit)
 *
 * The main thread writes arguments only in IDLE/DONE and reads the event
 * buffer only in DONE, so the buffer has one owner at a time. Both sides
 * re-check the state after every wake: a notify can arrive late, for a
 * state already gone (see #awaitDone).
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { Backend } from "../backends/backend.ts";
import type { CType } from "../ffi/types.ts";
import { ctlErrno, ctlResult, ctlState } from "../backends/backend.ts";

/** Request states. */
export const IDLE = 0;
/** The main thread asked for a blocking call. */
export const REQUEST = 1;
/** The call returned; result and errno are stored. */
export const DONE = 2;
/** The main thread asked the thread to exit. */
export const QUIT = 3;
/** The thread has exited its loop. */
export const STOPPED = 4;

// The thread's whole program. It cannot import this package (a Deno worker
// would then need --allow-read), so it binds its one call itself.
const source = String.raw`
const { workerData, parentPort } = require("node:worker_threads");
const { sab, lib, errnoSymbol, symbol, args, ret, argv } = workerData;
const ctl = new Int32Array(sab, 0, 16);
const [IDLE, REQUEST, DONE, QUIT, STOPPED] = [0, 1, 2, 3, 4];
(async () => {
  const u8 = new Uint8Array(sab);
  let fn, errnoCell, at, wide;
  if (typeof Bun !== "undefined") {
    const ffi = await import("bun:ffi");
    const t = { i32: "i32", u32: "u32", usize: "usize", buf: "ptr", ptr: "ptr", void: "void" };
    const l = ffi.dlopen(lib, {
      [symbol]: { args: args.map((a) => t[a]), returns: t[ret] },
      [errnoSymbol]: { args: [], returns: "ptr" },
    });
    fn = l.symbols[symbol];
    errnoCell = new Int32Array(ffi.toArrayBuffer(l.symbols[errnoSymbol](), 0, 4));
    const base = ffi.ptr(u8);
    at = (off) => base + off;
    wide = (x) => x;
  } else {
    const t = { i32: "i32", u32: "u32", usize: "usize", buf: "buffer", ptr: "pointer", void: "void" };
    const l = Deno.dlopen(lib, {
      [symbol]: { parameters: args.map((a) => t[a]), result: t[ret] },
      [errnoSymbol]: { parameters: [], result: "pointer" },
    });
    fn = l.symbols[symbol];
    errnoCell = new Int32Array(Deno.UnsafePointerView.getArrayBuffer(l.symbols[errnoSymbol](), 4));
    const base = Deno.UnsafePointer.of(u8);
    at = (off) => Deno.UnsafePointer.offset(base, off);
    wide = (x) => BigInt(x);
  }
  const ptrs = argv.map((a) => (a.kind === "ptr" || a.kind === "ptrOrNull" ? at(a.offset) : null));
  const vals = new Array(argv.length);
  const fill = () => {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      let v;
      switch (a.kind) {
        case "int": v = a.value; break;
        case "ctl": v = ctl[a.index]; break;
        case "ptr": v = ptrs[i]; break;
        case "ptrOrNull": v = ctl[a.index] !== 0 ? ptrs[i] : null; break;
        default: v = null;
      }
      vals[i] = args[i] === "usize" ? wide(v) : v;
    }
  };
  for (;;) {
    let s;
    while ((s = Atomics.load(ctl, 0)) === IDLE || s === DONE) Atomics.wait(ctl, 0, s);
    if (s !== REQUEST) break;
    fill();
    const r = fn(...vals);
    ctl[1] = r;
    ctl[2] = r < 0 ? errnoCell[0] : 0;
    // Not a plain store: a QUIT that arrived during the call must survive.
    Atomics.compareExchange(ctl, 0, REQUEST, DONE);
    Atomics.notify(ctl, 0);
  }
  Atomics.store(ctl, 0, STOPPED);
  Atomics.notify(ctl, 0);
})().catch((e) => {
  parentPort.postMessage({ error: String(e && e.stack || e) });
});
`;

/** The main thread's handle on the poller thread. */
export class PollerThread {
  readonly #ctl: Int32Array;
  readonly #worker: Worker;
  readonly #backend: Backend;
  #refed = false;
  #exited: Promise<void>;

  /** Starts the thread. `onFatal` is told if the thread cannot run its call. */
  constructor(backend: Backend, onFatal: (e: Error) => void) {
    this.#backend = backend;
    this.#ctl = new Int32Array(backend.shared, 0, 16);
    const c = backend.blockingCall;
    this.#worker = new Worker(source, {
      eval: true,
      workerData: {
        sab: backend.shared,
        lib: backend.libPath,
        errnoSymbol: backend.errnoSymbol,
        symbol: c.symbol,
        args: c.spec.args as readonly CType[],
        ret: c.spec.ret,
        argv: c.argv,
      },
    });
    this.#worker.on("message", (m: { error?: string }) => {
      if (m.error !== undefined) onFatal(new Error(`netpoll: the poller thread failed: ${m.error}`));
    });
    this.#worker.on("error", (e: Error) => onFatal(new Error(`netpoll: the poller thread failed: ${e.message}`)));
    this.#exited = new Promise((resolve) => this.#worker.once("exit", () => resolve()));
    // unref only after the listeners: on Bun 1.4.5, adding a "message"
    // listener refs the worker again, silently undoing an earlier unref()
    // (a process with only unref'd waiters then never exits).
    this.#worker.unref();
  }

  /**
   * Hands the prepared blocking call to the thread. Resolves with the call's
   * result and errno once it returns; the event buffer is the caller's again.
   */
  request(): Promise<void> | void {
    const ctl = this.#ctl;
    Atomics.store(ctl, ctlState, REQUEST);
    Atomics.notify(ctl, ctlState);
    return this.#awaitDone();
  }

  /**
   * Resolves once the state has left REQUEST; void if it already has.
   *
   * A wake is not proof of DONE, so the state is checked again after each
   * one. The thread stores DONE before it notifies: when it is preempted in
   * between, the main thread can see DONE without waiting, take the result,
   * make the next request and park here, and only then receive the old
   * notify. Trusting that wake handed the next request's events buffer back
   * while the thread was still in epoll_wait; the thread's DONE then found
   * IDLE, and every event that call harvested was dropped: descriptors with
   * data queued, parked forever (stress/ echo-load, ~1 run in 8 with both
   * CPUs busy; docs/RELIABILITY.md).
   */
  #awaitDone(): Promise<void> | void {
    const w = Atomics.waitAsync(this.#ctl, ctlState, REQUEST);
    if (w.async) return w.value.then(this.#recheck);
  }

  readonly #recheck = (): Promise<void> | void => {
    if (Atomics.load(this.#ctl, ctlState) === REQUEST) return this.#awaitDone();
  };

  /**
   * The finished call's result and errno; returns the control words to IDLE.
   * Throws unless the call has finished: taking the buffer earlier would
   * race the kernel writing into it and lose the call's events.
   */
  take(): [result: number, errno: number] {
    const ctl = this.#ctl;
    const state = Atomics.load(ctl, ctlState);
    if (state !== DONE) throw new Error(`netpoll: internal: poller thread result taken in state ${state}, not DONE`);
    const r: [number, number] = [ctl[ctlResult]!, ctl[ctlErrno]!];
    Atomics.store(ctl, ctlState, IDLE);
    return r;
  }

  /** Keeps the process alive while waiters are parked (Go's netpollWaiters > 0). */
  ref(): void {
    if (!this.#refed) {
      this.#refed = true;
      this.#worker.ref();
    }
  }

  /** Lets the process exit even while the thread is blocked. */
  unref(): void {
    if (this.#refed) {
      this.#refed = false;
      this.#worker.unref();
    }
  }

  /** Stops the thread: quit flag, then a wake so a blocked call returns. Never terminate(): it hangs on Deno. */
  async stop(): Promise<void> {
    Atomics.store(this.#ctl, ctlState, QUIT);
    Atomics.notify(this.#ctl, ctlState);
    this.#backend.wake();
    this.#worker.ref();
    await this.#exited;
  }
}
