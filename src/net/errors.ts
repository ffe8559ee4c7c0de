/**
 * The errors an FD or socket operation fails with besides {@linkcode ErrnoError}:
 * Go's `net.ErrClosed`, `os.ErrDeadlineExceeded` and `poll.ErrNotPollable`.
 *
 * @module
 */

/**
 * The operation ran on, or was parked on, a descriptor that is closed or
 * being closed (Go's "use of closed network connection").
 *
 * @example
 * ```ts
 * import { connect, ErrClosing } from "@netpoll/netpoll";
 * const conn = await connect({ hostname: "127.0.0.1", port: 8080 });
 * const reading = conn.read(new Uint8Array(1024));
 * conn.close();
 * await reading.catch((e) => console.log(e instanceof ErrClosing)); // true
 * ```
 */
export class ErrClosing extends Error {
  /** The operation that failed: "read", "write", "accept", ... */
  readonly op: string;
  /**
   * For a failed write: how many bytes of the buffer went out before the
   * failure (Go's `n` beside `err`), so a retry resumes there. 0 otherwise.
   */
  bytesWritten = 0;
  /** Makes the error for operation `op`. */
  constructor(op: string) {
    super(`${op}: use of closed network connection`);
    this.name = "ErrClosing";
    this.op = op;
  }
}

/**
 * The operation's deadline passed (Go's `os.ErrDeadlineExceeded`, "i/o timeout").
 * Clearing or extending the deadline lets I/O go on.
 *
 * Like Go's, a timeout is one value: every operation that times out rejects
 * with the frozen instance for its `op` ({@linkcode deadlineExceeded}), whose
 * `stack` is its header alone. Test for it with `instanceof`. A write that
 * had sent part of its buffer gets an instance of its own that says how much.
 *
 * @example
 * ```ts
 * import { connect, ErrDeadlineExceeded } from "@netpoll/netpoll";
 * const conn = await connect({ hostname: "127.0.0.1", port: 8080 });
 * conn.setReadDeadline(Date.now() + 100);
 * await conn.read(new Uint8Array(1024)).catch((e) => console.log(e instanceof ErrDeadlineExceeded));
 * ```
 */
export class ErrDeadlineExceeded extends Error {
  /** The operation that timed out. */
  readonly op: string;
  /**
   * For a failed write: how many bytes of the buffer went out before the
   * failure (Go's `n` beside `err`), so a retry resumes there. 0 otherwise.
   */
  bytesWritten = 0;
  /** Makes the error for operation `op`. */
  constructor(op: string) {
    super(`${op}: i/o timeout`);
    this.name = "ErrDeadlineExceeded";
    this.op = op;
  }
}

/**
 * The poller reported an error event on the descriptor, or the poller
 * itself failed (Go's `ErrNotPollable`).
 *
 * @example
 * ```ts
 * import { ErrNotPollable } from "@netpoll/netpoll";
 * const e = new ErrNotPollable("read");
 * console.log(e.message); // "read: not pollable"
 * ```
 */
export class ErrNotPollable extends Error {
  /** The operation that failed. */
  readonly op: string;
  /**
   * For a failed write: how many bytes of the buffer went out before the
   * failure (Go's `n` beside `err`), so a retry resumes there. 0 otherwise.
   */
  bytesWritten = 0;
  /** Makes the error for operation `op`. */
  constructor(op: string) {
    super(`${op}: not pollable`);
    this.name = "ErrNotPollable";
    this.op = op;
  }
}

// The shared timeouts, one per op; the ops are a handful of literals.
const timeouts = new Map<string, ErrDeadlineExceeded>();

/**
 * The timeout error of operation `op`: one frozen instance per op, shared by
 * every deadline that fires, as Go shares one `os.ErrDeadlineExceeded`.
 *
 * Why not a new Error each time: deadlines fire in batches on the poller's
 * own time, so the last of a batch is late by the cost of every error made
 * before it. Deno spends 4-9 µs making any Error, whatever
 * `Error.stackTraceLimit` says (docs/PERFORMANCE.md), which made 200
 * deadlines due within 1 ms fire up to 2-3 ms late (bench/deadline.ts). The
 * frames would only have named the poller's internals: a deadline has no
 * call site, so the stack is the header.
 *
 * @example
 * ```ts
 * import { deadlineExceeded, ErrDeadlineExceeded } from "./errors.ts";
 * const e = deadlineExceeded("read");
 * console.log(e instanceof ErrDeadlineExceeded, e === deadlineExceeded("read"), e.stack);
 * // true true "ErrDeadlineExceeded: read: i/o timeout"
 * ```
 */
export function deadlineExceeded(op: string): ErrDeadlineExceeded {
  let e = timeouts.get(op);
  if (e === undefined) {
    e = new ErrDeadlineExceeded(op);
    Object.defineProperty(e, "stack", { value: `${e.name}: ${e.message}` });
    timeouts.set(op, Object.freeze(e));
  }
  return e;
}
