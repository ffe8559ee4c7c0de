/**
 * netpoll: Go's runtime network poller for Bun and Deno, over libc through
 * the runtime's FFI.
 *
 * This module only re-exports. The levels:
 * - Go's runtime poll API: {@linkcode pollOpen}, {@linkcode pollWait},
 *   {@linkcode pollSetDeadline}, {@linkcode pollUnblock}, {@linkcode pollClose}, ...
 *
 * @example
 * ```ts
 * import { PollCode, pollClose, pollOpen, pollUnblock, pollWait } from "./mod.ts";
 * declare const fd: number; // any non-blocking fd: a pipe, socket, eventfd, tty
 * const pd = pollOpen(fd);
 * if ((await pollWait(pd, "r")) === PollCode.None) console.log("readable");
 * pollUnblock(pd);
 * pollClose(pd);
 * ```
 *
 * @module
 */
export { ErrnoError } from "./ffi/errors.ts";
export { UsageError } from "./core/errors.ts";
export {
  type DeadlineMode,
  isPollServerDescriptor,
  netpollShutdown,
  type NetpollStats,
  netpollStats,
  pollClose,
  PollCode,
  type PollDesc,
  pollOpen,
  pollReset,
  pollSetDeadline,
  pollUnblock,
  pollWait,
  pollWaitCanceled,
  type WaitMode,
} from "./core/netpoll.ts";
