/**
 * OS/arch profiles: everything that differs between platforms below the
 * backends, in one table. A backend reads its constants and struct layouts
 * from here and never tests `process.platform` itself.
 *
 * Linux runs here. The other systems Go's poller supports are in
 * {@linkcode targets}: what their backends need, run here against C models
 * of their kernels ({@linkcode modelProfile}).
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
  readonly TFD_CLOEXEC: number;
  readonly TFD_NONBLOCK: number;
  readonly CLOCK_MONOTONIC: number;
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

/** `struct kevent` as laid out on one OS (64-bit), in bytes. ident is at 0 everywhere. */
export interface KeventLayout {
  /** sizeof(struct kevent): 32 (macOS, OpenBSD, DragonFly, FreeBSD < 12), 64 (FreeBSD >= 12, with ext[4]), 40 (NetBSD). */
  readonly size: 32 | 40 | 64;
  /** filter and flags are 16-bit (int16/uint16) everywhere but NetBSD, where both are u32. */
  readonly wide: boolean;
  readonly filterOffset: number;
  readonly flagsOffset: number;
  readonly dataOffset: number;
  readonly udataOffset: number;
}

/** kqueue constants of one OS (sys/event.h), plus what its wake-up needs. */
export interface KqueueConsts {
  readonly EVFILT_READ: number;
  readonly EVFILT_WRITE: number;
  /** Absent where Go wakes through a pipe instead (OpenBSD, NetBSD < 10). */
  readonly EVFILT_USER?: number;
  readonly EV_ADD: number;
  readonly EV_DELETE: number;
  readonly EV_CLEAR: number;
  readonly EV_ERROR: number;
  readonly EV_EOF: number;
  readonly NOTE_TRIGGER?: number;
}

/** The kqueue part of a profile. */
export interface KqueueProfile {
  readonly layout: KeventLayout;
  readonly consts: KqueueConsts;
  /** The symbol kevent is linked as: NetBSD's plain `kevent` is a compat symbol for the old layout. */
  readonly keventSymbol: string;
  /** C type of kevent's nchanges/nevents: int, or size_t on NetBSD. */
  readonly countType: "i32" | "usize";
}

/** Event-port constants (sys/poll.h, sys/port.h): the same on Solaris and illumos. */
export interface PortsConsts {
  readonly POLLIN: number;
  readonly POLLOUT: number;
  readonly POLLERR: number;
  readonly POLLHUP: number;
  readonly PORT_SOURCE_FD: number;
  readonly PORT_SOURCE_ALERT: number;
  readonly PORT_ALERT_UPDATE: number;
}

/** `port_event_t`: events i32 @0, source u16 @4, pad u16 @6, object uintptr @8, user pointer @16. */
export const portEventSize = 24;

/** File-descriptor constants every backend may need for its own descriptors (fcntl.h). */
export interface FileConsts {
  readonly O_NONBLOCK: number;
  readonly O_CLOEXEC: number;
  readonly F_SETFD: number;
  readonly FD_CLOEXEC: number;
}

/**
 * What a backend needs of one operating system: its libc, errno accessor and
 * numbers, descriptor flags, and the readiness mechanism's constants and
 * layouts. {@linkcode targets} has one per system Go's poller runs on.
 */
export interface Target {
  readonly os: OS;
  /** What `dlopen` is given for libc. */
  readonly libc: string;
  /** libc's per-thread errno accessor (glibc/musl `__errno_location`, macOS/FreeBSD `__error`, ...). */
  readonly errnoSymbol: string;
  readonly backend: BackendName;
  /** errno names to numbers. */
  readonly errno: Readonly<Record<string, number>>;
  readonly file: FileConsts;
  readonly epoll?: { readonly layout: EpollLayout; readonly consts: EpollConsts };
  readonly kqueue?: KqueueProfile;
  readonly ports?: { readonly consts: PortsConsts };
}

/** Everything platform-specific below the backends, for the process this runs in. */
export interface Profile extends Target {
  /** `${os}-${arch}` for a real system ("linux-x64"), `model-${os}` for a model run. */
  readonly key: string;
  readonly arch: string;
  readonly sock: SockConsts;
  /** Set when the backend runs against a C model of the target's kernel (tests/models), not the real one. */
  readonly model?: OS;
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
  TFD_CLOEXEC: 0x80000,
  TFD_NONBLOCK: 0x800,
  CLOCK_MONOTONIC: 1,
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

const linuxFile: FileConsts = { O_NONBLOCK: 0x800, O_CLOEXEC: 0x80000, F_SETFD: 2, FD_CLOEXEC: 1 };

function linux(arch: string, layout: EpollLayout): Profile {
  return {
    key: `linux-${arch}`,
    os: "linux",
    arch,
    libc: "libc.so.6",
    errnoSymbol: "__errno_location",
    backend: "epoll",
    errno: linuxErrno,
    file: linuxFile,
    epoll: { layout, consts: linuxEpoll },
    sock: linuxSock,
  };
}

// ---- kqueue and event-port systems ----
//
// Numbers from each system's headers; tests/targets.test.ts checks every one
// against Go's runtime/defs_*.go and golang.org/x/sys/unix (Debian packages).

/** errno numbers shared by the BSD family (4.4BSD numbering) for the names the library uses. */
const bsdErrno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  EMFILE: 24,
  EPIPE: 32,
  EAGAIN: 35,
  EINPROGRESS: 36,
  EALREADY: 37,
  ENOTSOCK: 38,
  EADDRINUSE: 48,
  ECONNABORTED: 53,
  ECONNRESET: 54,
  ENOTCONN: 57,
  ETIMEDOUT: 60,
  ECONNREFUSED: 61,
  ENOSYS: 78,
} as const;

const illumosErrno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  EMFILE: 24,
  EPIPE: 32,
  ETIME: 62,
  ENOSYS: 89,
  ENOTSOCK: 95,
  EADDRINUSE: 125,
  ECONNABORTED: 130,
  ECONNRESET: 131,
  ENOTCONN: 134,
  ETIMEDOUT: 145,
  ECONNREFUSED: 146,
  EALREADY: 149,
  EINPROGRESS: 150,
} as const;

const kevent32: KeventLayout = {
  size: 32,
  wide: false,
  filterOffset: 8,
  flagsOffset: 10,
  dataOffset: 16,
  udataOffset: 24,
};
// FreeBSD 12 appended `uint64_t ext[4]`; the first 32 bytes are unchanged.
const kevent64: KeventLayout = { ...kevent32, size: 64 };
// NetBSD: u32 filter and flags, then fflags and 4 bytes of padding.
const kevent40: KeventLayout = {
  size: 40,
  wide: true,
  filterOffset: 8,
  flagsOffset: 12,
  dataOffset: 24,
  udataOffset: 32,
};

const evFlags = { EV_ADD: 0x1, EV_DELETE: 0x2, EV_CLEAR: 0x20, EV_ERROR: 0x4000, EV_EOF: 0x8000 } as const;

function kq(
  os: OS,
  libc: string,
  errnoSymbol: string,
  O_CLOEXEC: number,
  layout: KeventLayout,
  filters: Pick<KqueueConsts, "EVFILT_READ" | "EVFILT_WRITE" | "EVFILT_USER">,
  errno: Readonly<Record<string, number>> = bsdErrno,
): Target {
  const user = filters.EVFILT_USER === undefined ? {} : { NOTE_TRIGGER: 0x01000000 };
  return {
    os,
    libc,
    errnoSymbol,
    backend: "kqueue",
    errno,
    file: { O_NONBLOCK: 0x4, O_CLOEXEC, F_SETFD: 2, FD_CLOEXEC: 1 },
    kqueue: {
      layout,
      consts: { ...filters, ...evFlags, ...user },
      keventSymbol: os === "netbsd" ? "__kevent50" : "kevent",
      countType: os === "netbsd" ? "usize" : "i32",
    },
  };
}

/**
 * Every system Go's poller supports, as a backend sees it. Linux runs here;
 * the others run only against the C models in tests/models (see the README's
 * platform table): their sockets layer is not ported yet.
 */
export const targets: Readonly<Record<Exclude<OS, "linux">, Target>> = {
  darwin: kq("darwin", "/usr/lib/libSystem.B.dylib", "__error", 0x1000000, kevent32, {
    EVFILT_READ: -1,
    EVFILT_WRITE: -2,
    EVFILT_USER: -10,
  }, { ...bsdErrno, ETIME: 101 }),
  freebsd: kq("freebsd", "libc.so.7", "__error", 0x100000, kevent64, {
    EVFILT_READ: -1,
    EVFILT_WRITE: -2,
    EVFILT_USER: -11,
  }),
  dragonfly: kq("dragonfly", "libc.so.8", "__error", 0x20000, kevent32, {
    EVFILT_READ: -1,
    EVFILT_WRITE: -2,
    EVFILT_USER: -9,
  }),
  openbsd: kq("openbsd", "libc.so", "__errno", 0x10000, kevent32, { EVFILT_READ: -1, EVFILT_WRITE: -2 }),
  netbsd: kq("netbsd", "libc.so.12", "__errno", 0x400000, kevent40, { EVFILT_READ: 0, EVFILT_WRITE: 1 }, {
    ...bsdErrno,
    ETIME: 92,
  }),
  illumos: {
    os: "illumos",
    libc: "libc.so.1",
    errnoSymbol: "___errno",
    backend: "ports",
    errno: illumosErrno,
    file: { O_NONBLOCK: 0x80, O_CLOEXEC: 0x800000, F_SETFD: 2, FD_CLOEXEC: 1 },
    ports: {
      consts: {
        POLLIN: 0x1,
        POLLOUT: 0x4,
        POLLERR: 0x8,
        POLLHUP: 0x10,
        PORT_SOURCE_FD: 4,
        PORT_SOURCE_ALERT: 5,
        PORT_ALERT_UPDATE: 2,
      },
    },
  },
};

/** The targets whose backend can run here against a C model of their kernel, one per kevent layout and wake-up kind. */
export const modelTargets = ["freebsd", "darwin", "openbsd", "netbsd", "illumos"] as const;
/** A target with a model. */
export type ModelTarget = (typeof modelTargets)[number];

/**
 * A profile that runs `target`'s backend on this Linux machine against the C
 * model of its kernel at `lib` (built by tests/models/build.ts): the target's
 * kqueue or port constants, layouts and errno accessor name, which the model
 * speaks; Linux's errno numbers, descriptor flags and sockets, because every
 * other call is the real Linux one underneath.
 */
export function modelProfile(base: Profile, target: ModelTarget, lib: string): Profile {
  const t = targets[target];
  return {
    ...base,
    key: `model-${target}`,
    libc: lib,
    errnoSymbol: t.errnoSymbol,
    backend: t.backend,
    epoll: undefined,
    kqueue: t.kqueue,
    ports: t.ports,
    model: target,
  };
}

/** The profiles of real systems that run here, by key. */
export const profiles: Readonly<Record<string, Profile>> = {
  // glibc's bits/epoll.h declares the struct __EPOLL_PACKED on x86_64 only.
  "linux-x64": linux("x64", { size: 12, dataOffset: 4 }),
  "linux-arm64": linux("arm64", { size: 16, dataOffset: 8 }),
};

function env(name: string): string | undefined {
  try {
    return process.env[name] || undefined;
  } catch {
    return undefined; // Deno without --allow-env: no override
  }
}

/**
 * The profile for the machine this runs on; throws a clear error for an
 * unsupported one. Two environment variables switch a Linux process onto a
 * model (the test runner's backend passes use them):
 * `NETPOLL_MODEL=freebsd|darwin|openbsd|netbsd|illumos` and
 * `NETPOLL_MODEL_LIB=<path of the model's shared library>`.
 */
export function currentProfile(): Profile {
  const key = `${process.platform}-${process.arch}`;
  const p = profiles[key];
  if (p === undefined) {
    const t =
      (targets as Record<string, Target | undefined>)[process.platform === "sunos" ? "illumos" : process.platform];
    throw new Error(
      t === undefined
        ? `netpoll: unsupported platform ${key}`
        : `netpoll: ${key} is not supported yet: its ${t.backend} backend is written and tested against a model ` +
          `of the kernel, but the socket layer is not ported; supported: ${Object.keys(profiles).join(", ")}`,
    );
  }
  const model = env("NETPOLL_MODEL");
  if (model === undefined) return p;
  if (!(modelTargets as readonly string[]).includes(model)) {
    throw new Error(`netpoll: NETPOLL_MODEL must be one of ${modelTargets.join(", ")}, got ${JSON.stringify(model)}`);
  }
  const lib = env("NETPOLL_MODEL_LIB");
  if (lib === undefined) throw new Error(`netpoll: NETPOLL_MODEL=${model} needs NETPOLL_MODEL_LIB (the model's .so)`);
  return modelProfile(p, model as ModelTarget, lib);
}
