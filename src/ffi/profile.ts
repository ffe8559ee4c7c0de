/**
 * OS/arch profiles: everything that differs between platforms below the
 * backends, in one table. A backend reads its constants and struct layouts
 * from here and never tests `process.platform` itself.
 *
 * Only Linux is filled in; the other systems Go's poller supports have their
 * rows reserved (see {@linkcode plannedProfiles}) and are filled by the
 * kqueue and event-port work.
 *
 * @module
 */
import process from "node:process";
import { linuxErrno } from "./errno_linux.ts";

/** Operating systems the profiles are keyed by (Node's `process.platform` names, plus illumos). */
export type OS = "linux" | "darwin" | "freebsd" | "openbsd" | "netbsd" | "dragonfly" | "illumos";

/** The readiness mechanism a profile's backend uses. */
export type BackendName = "epoll" | "kqueue" | "ports";

/** `struct epoll_event` as laid out on one architecture, in bytes. */
export interface EpollLayout {
  /** sizeof(struct epoll_event): 12 where glibc packs it (x86_64), else 16. */
  readonly size: 12 | 16;
  /** offsetof(data): 4 when packed, 8 otherwise. Always a multiple of 4. */
  readonly dataOffset: 4 | 8;
}

/** epoll and eventfd constants (linux/eventpoll.h, sys/eventfd.h). */
export interface EpollConsts {
  readonly EPOLLIN: number;
  readonly EPOLLOUT: number;
  readonly EPOLLERR: number;
  readonly EPOLLHUP: number;
  readonly EPOLLRDHUP: number;
  readonly EPOLLET: number;
  readonly EPOLL_CTL_ADD: number;
  readonly EPOLL_CTL_DEL: number;
  readonly EPOLL_CLOEXEC: number;
  readonly EFD_CLOEXEC: number;
  readonly EFD_NONBLOCK: number;
}

/** Socket-layer constants the FD and net layers need. */
export interface SockConsts {
  readonly AF_UNIX: number;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly SOCK_STREAM: number;
  readonly SOCK_NONBLOCK: number;
  readonly SOCK_CLOEXEC: number;
  readonly SOL_SOCKET: number;
  readonly SO_REUSEADDR: number;
  readonly SO_REUSEPORT: number;
  readonly SO_ERROR: number;
  readonly SO_KEEPALIVE: number;
  readonly IPPROTO_TCP: number;
  readonly TCP_NODELAY: number;
  readonly IPPROTO_IPV6: number;
  readonly IPV6_V6ONLY: number;
  readonly MSG_NOSIGNAL: number;
  readonly SHUT_WR: number;
  readonly O_NONBLOCK: number;
  readonly O_CLOEXEC: number;
  readonly F_GETFL: number;
  readonly F_SETFL: number;
}

/** Everything platform-specific below the backends, for one OS and architecture. */
export interface Profile {
  /** `${os}-${arch}`, e.g. "linux-x64". */
  readonly key: string;
  readonly os: OS;
  readonly arch: string;
  /** What `dlopen` is given for libc. */
  readonly libc: string;
  /** libc's per-thread errno accessor (glibc/musl `__errno_location`, macOS/FreeBSD `__error`, ...). */
  readonly errnoSymbol: string;
  readonly backend: BackendName;
  /** errno names to numbers. */
  readonly errno: Readonly<Record<string, number>>;
  readonly epoll?: { readonly layout: EpollLayout; readonly consts: EpollConsts };
  readonly sock: SockConsts;
}

const linuxEpoll: EpollConsts = {
  EPOLLIN: 0x1,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLRDHUP: 0x2000,
  EPOLLET: 0x80000000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CLOEXEC: 0x80000,
  EFD_CLOEXEC: 0x80000,
  EFD_NONBLOCK: 0x800,
};

// Linux uses asm-generic socket numbers on both x86_64 and aarch64.
const linuxSock: SockConsts = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0x800,
  SOCK_CLOEXEC: 0x80000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_REUSEPORT: 15,
  SO_ERROR: 4,
  SO_KEEPALIVE: 9,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  IPPROTO_IPV6: 41,
  IPV6_V6ONLY: 26,
  MSG_NOSIGNAL: 0x4000,
  SHUT_WR: 1,
  O_NONBLOCK: 0x800,
  O_CLOEXEC: 0x80000,
  F_GETFL: 3,
  F_SETFL: 4,
};

function linux(arch: string, layout: EpollLayout): Profile {
  return {
    key: `linux-${arch}`,
    os: "linux",
    arch,
    libc: "libc.so.6",
    errnoSymbol: "__errno_location",
    backend: "epoll",
    errno: linuxErrno,
    epoll: { layout, consts: linuxEpoll },
    sock: linuxSock,
  };
}

/** The profiles that are filled in, by key. */
export const profiles: Readonly<Record<string, Profile>> = {
  // glibc's bits/epoll.h declares the struct __EPOLL_PACKED on x86_64 only.
  "linux-x64": linux("x64", { size: 12, dataOffset: 4 }),
  "linux-arm64": linux("arm64", { size: 16, dataOffset: 8 }),
};

/** Systems Go's poller supports whose profiles are still to be written, with their backend. */
export const plannedProfiles: Readonly<Record<string, BackendName>> = {
  darwin: "kqueue",
  freebsd: "kqueue",
  openbsd: "kqueue",
  netbsd: "kqueue",
  dragonfly: "kqueue",
  illumos: "ports",
  sunos: "ports",
};

/** The profile for the machine this runs on; throws a clear error for an unsupported one. */
export function currentProfile(): Profile {
  const key = `${process.platform}-${process.arch}`;
  const p = profiles[key];
  if (p !== undefined) return p;
  const planned = plannedProfiles[process.platform];
  throw new Error(
    planned === undefined
      ? `netpoll: unsupported platform ${key}`
      : `netpoll: no profile yet for ${key} (its ${planned} backend is planned); supported: ${
        Object.keys(profiles).join(", ")
      }`,
  );
}
