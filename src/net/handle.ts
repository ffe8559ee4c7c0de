/**
 * What every object holding an FD offers: Go's deadlines and keep-alive
 * control. Conn, Listener and Watched extend it.
 *
 * @module
 */
import type { Deadline } from "./deadline.ts";
import type { FD } from "./fd.ts";

/**
 * Deadlines and ref/unref over one descriptor: the base of {@linkcode Conn},
 * {@linkcode Listener} and {@linkcode Watched}. Not made directly.
 *
 * @example
 * ```ts
 * import { connect, type FDHandle } from "@netpoll/netpoll";
 * const h: FDHandle = await connect({ hostname: "127.0.0.1", port: 8080 });
 * h.setDeadline(Date.now() + 5_000); // reads and writes fail after 5 s
 * h.unref(); // pending operations no longer keep the process alive
 * ```
 */
export class FDHandle {
  /** @internal */
  protected readonly fdh: FD;

  /** @internal */
  constructor(fd: FD) {
    this.fdh = fd;
  }

  /** The descriptor (valid until close). */
  get fd(): number {
    return this.fdh.sysfd;
  }

  /** Sets the read and write deadlines: a Date, epoch ms, or null to clear. */
  setDeadline(t: Deadline): void {
    this.fdh.setDeadline(t);
  }

  /** Sets the read (or accept) deadline: past it, the operation rejects with ErrDeadlineExceeded. */
  setReadDeadline(t: Deadline): void {
    this.fdh.setReadDeadline(t);
  }

  /** Sets the write deadline. */
  setWriteDeadline(t: Deadline): void {
    this.fdh.setWriteDeadline(t);
  }

  /** Pending operations keep the process alive (the default). */
  ref(): void {
    this.fdh.setRef(true);
  }

  /** Pending operations do not keep the process alive. */
  unref(): void {
    this.fdh.setRef(false);
  }
}
