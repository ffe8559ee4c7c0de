/**
 * netpoll: Go's runtime network poller for Bun and Deno, over libc through
 * the runtime's FFI.
 *
 * This module only re-exports. Three levels:
 * - sockets shaped like Deno's, with Go's deadlines: {@linkcode listen},
 *   {@linkcode connect}, {@linkcode Conn}, {@linkcode Listener};
 * - foreign descriptors: {@linkcode watch} for an fd the library does not own;
 * - Go's runtime poll API: {@linkcode pollOpen}, {@linkcode pollWait},
 *   {@linkcode pollSetDeadline}, {@linkcode pollUnblock}, {@linkcode pollClose}, ...
 *
 * @example
 * ```ts
 * import { PollCode, pollClose, pollOpen, pollUnblock, pollWait } from "@netpoll/netpoll";
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
export { ErrClosing, ErrDeadlineExceeded, ErrNotPollable } from "./net/errors.ts";
export type { Deadline } from "./net/deadline.ts";
export type { OnData, OpOptions } from "./net/fd.ts";
export type { Addr, NetAddr, UnixAddr } from "./net/sockaddr.ts";
export { FDHandle } from "./net/handle.ts";
export { Conn } from "./net/conn.ts";
export { listen, Listener, type TcpListenOptions, type UnixListenOptions } from "./net/listener.ts";
export { connect, type TcpConnectOptions, type UnixConnectOptions } from "./net/connect.ts";
export { watch, Watched } from "./net/watch.ts";
