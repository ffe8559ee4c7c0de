/**
 * The libc symbol table: every function the library calls, declared once.
 * Grouped by what needs them, so a profile binds only the groups its OS has.
 *
 * Results that C declares `ssize_t` are bound as `i32`: every length this
 * library passes is at most {@linkcode maxIO} (< 2^31), so the low 32 bits of
 * the result are the whole value, and -1 stays -1. That keeps Deno from
 * returning a BigInt per call.
 *
 * @module
 */
import type { SymbolSpec } from "./types.ts";

/** The largest byte count passed to one read/write/send/recv (1 GiB), so results fit in i32. */
export const maxIO = 1 << 30;

/** Calls every backend and the FD layer need. */
export const commonSymbols = {
  close: { args: ["i32"], ret: "i32" },
  read: { args: ["i32", "buf", "usize"], ret: "i32" },
  write: { args: ["i32", "buf", "usize"], ret: "i32" },
  pipe2: { args: ["buf", "i32"], ret: "i32" },
  open: { args: ["buf", "i32"], ret: "i32" },
  unlink: { args: ["buf"], ret: "i32" },
} as const satisfies Record<string, SymbolSpec>;

/** Linux epoll, eventfd and timerfd. */
export const epollSymbols = {
  epoll_create1: { args: ["i32"], ret: "i32" },
  epoll_ctl: { args: ["i32", "i32", "i32", "buf"], ret: "i32" },
  epoll_wait: { args: ["i32", "ptr", "i32", "i32"], ret: "i32" },
  eventfd: { args: ["u32", "i32"], ret: "i32" },
  timerfd_create: { args: ["i32", "i32"], ret: "i32" },
  timerfd_settime: { args: ["i32", "i32", "ptr", "ptr"], ret: "i32" },
} as const satisfies Record<string, SymbolSpec>;

/**
 * epoll_pwait2 (Linux 5.11, glibc 2.35): epoll_wait with a timespec timeout,
 * so a blocking poll can end at a deadline to the microsecond instead of
 * epoll_wait's millisecond. Optional: bound on its own, absent on older systems.
 */
export const epollPwait2Symbols = {
  epoll_pwait2: { args: ["i32", "ptr", "i32", "ptr", "ptr"], ret: "i32" },
} as const satisfies Record<string, SymbolSpec>;

/** BSD sockets, for the net layer. */
export const socketSymbols = {
  socket: { args: ["i32", "i32", "i32"], ret: "i32" },
  socketpair: { args: ["i32", "i32", "i32", "buf"], ret: "i32" },
  bind: { args: ["i32", "buf", "u32"], ret: "i32" },
  listen: { args: ["i32", "i32"], ret: "i32" },
  accept4: { args: ["i32", "buf", "buf", "i32"], ret: "i32" },
  connect: { args: ["i32", "buf", "u32"], ret: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "buf", "buf"], ret: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "buf", "u32"], ret: "i32" },
  getsockname: { args: ["i32", "buf", "buf"], ret: "i32" },
  getpeername: { args: ["i32", "buf", "buf"], ret: "i32" },
  shutdown: { args: ["i32", "i32"], ret: "i32" },
  send: { args: ["i32", "buf", "usize", "i32"], ret: "i32" },
  recv: { args: ["i32", "buf", "usize", "i32"], ret: "i32" },
} as const satisfies Record<string, SymbolSpec>;

/** fcntl(fd, F_SETFD, FD_CLOEXEC) for descriptors made without a close-on-exec flag (kqueue(), port_create()). */
export const fcntlSymbols = {
  fcntl: { args: ["i32", "i32", "i32"], ret: "i32" },
} as const satisfies Record<string, SymbolSpec>;

/** kqueue(); kevent is bound beside it from {@linkcode keventSpec}, under the profile's symbol name. */
export const kqueueSymbols = {
  kqueue: { args: [], ret: "i32" },
  ...fcntlSymbols,
} as const satisfies Record<string, SymbolSpec>;

/** kevent(kq, changelist, nchanges, eventlist, nevents, timeout). */
export interface KeventSpec extends SymbolSpec {
  readonly args: readonly ["i32", "ptr", "i32" | "usize", "ptr", "i32" | "usize", "ptr"];
  readonly ret: "i32";
}

/** kevent's signature: its two counts are int, or size_t on NetBSD. */
export function keventSpec(count: "i32" | "usize"): KeventSpec {
  return { args: ["i32", "ptr", count, "ptr", count, "ptr"], ret: "i32" };
}

/** Solaris/illumos event ports. `object` and `user` are uintptr_t / void*: passed as usize numbers. */
export const portsSymbols = {
  ...fcntlSymbols,
  port_create: { args: [], ret: "i32" },
  port_associate: { args: ["i32", "i32", "usize", "i32", "usize"], ret: "i32" },
  port_dissociate: { args: ["i32", "i32", "usize"], ret: "i32" },
  port_getn: { args: ["i32", "ptr", "u32", "ptr", "ptr"], ret: "i32" },
  port_alert: { args: ["i32", "i32", "i32", "usize"], ret: "i32" },
} as const satisfies Record<string, SymbolSpec>;
