/**
 * Errors that carry an errno. The name table comes from the active profile,
 * so `code` is right on every OS.
 *
 * @module
 */

let names: ReadonlyMap<number, string> = new Map();

/** Installs the errno number → name table (done once by libc.ts). */
export function setErrnoNames(table: Readonly<Record<string, number>>): void {
  const m = new Map<number, string>();
  for (const [name, n] of Object.entries(table)) if (!m.has(n)) m.set(n, name);
  names = m;
}

/** The symbolic name of an errno value on this OS ("EBADF"), or "E<n>" if unknown. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}

/**
 * A failed system call: which call, and the errno it left.
 *
 * @example
 * ```ts
 * import { ErrnoError, pollOpen } from "@netpoll/netpoll";
 * try {
 *   pollOpen(-1);
 * } catch (e) {
 *   if (e instanceof ErrnoError && e.code === "EBADF") console.log(e.message);
 *   // "epoll_ctl: EBADF (errno 9)"
 * }
 * ```
 */
export class ErrnoError extends Error {
  /** The errno value. */
  readonly errno: number;
  /** Its symbolic name: "EBADF", "EADDRINUSE", ... */
  readonly code: string;
  /** The system call that failed. */
  readonly syscall: string;
  /**
   * For a failed write: how many bytes of the buffer went out before the
   * failure (Go's `n` beside `err`), so a retry resumes there. 0 otherwise.
   */
  bytesWritten = 0;

  /** Makes the error for `syscall` and `errno`; `detail` (an address, a path) ends the message. */
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}: ${code} (errno ${errno})${detail ? `: ${detail}` : ""}`);
    this.name = "ErrnoError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}
