/**
 * watch(): readiness for a descriptor the library does not own — an fd from
 * an FFI library (libpq, libcurl, zmq), a tty, inotify, a pipe.
 *
 * @module
 */
import { checkFd } from "../core/netpoll.ts";
import { FD, type OpOptions } from "./fd.ts";
import { FDHandle } from "./handle.ts";

/**
 * A registration of a foreign descriptor. close() releases the registration,
 * never the descriptor. Waits are edge-triggered: after a wait resolves, do
 * your I/O until EAGAIN before waiting again.
 *
 * @example
 * ```ts
 * import { watch } from "@netpoll/netpoll";
 * declare const fd: number; // non-blocking, e.g. from an FFI library
 * const w = watch(fd);
 * w.setReadDeadline(Date.now() + 5000);
 * await w.waitReadable(); // rejects with ErrDeadlineExceeded after 5 s
 * // ... read until EAGAIN ...
 * w.close(); // the fd stays open
 * ```
 */
export class Watched extends FDHandle implements Disposable {
  /** Resolves when the fd may be readable; rejects with ErrDeadlineExceeded, ErrClosing or the signal's reason. */
  waitReadable(opts?: OpOptions): Promise<void> {
    return this.fdh.waitRead(opts);
  }

  /** Resolves when the fd may be writable. */
  waitWritable(opts?: OpOptions): Promise<void> {
    return this.fdh.waitWrite(opts);
  }

  /** Releases the registration; parked waits reject with ErrClosing. The descriptor stays open. */
  close(): void {
    this.fdh.close();
  }

  /** Releases the registration (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Watches a descriptor the caller owns. It must be non-blocking. Throws
 * ErrnoError (EPERM for a regular file, EBADF, EEXIST if already watched).
 *
 * @example
 * ```ts
 * import { watch } from "@netpoll/netpoll";
 * declare const fd: number; // e.g. an inotify fd opened through FFI, non-blocking
 * const w = watch(fd);
 * await w.waitReadable({ signal: AbortSignal.timeout(10_000) });
 * w.close(); // the fd stays open
 * ```
 */
export function watch(fd: number): Watched {
  checkFd("watch", fd);
  return new Watched(FD.open(fd, { owned: false, socket: false }));
}
