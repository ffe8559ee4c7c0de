// What the shared suites expect of the backend in force, where the kernels
// differ (the test runner runs the suites once per backend: epoll, and each
// kqueue and event-port model). One table, so a test states the difference
// instead of branching on the backend itself.
import { profile } from "../src/ffi/libc.ts";

interface BackendFacts {
  /** The syscall an error from pollOpen names. */
  readonly openSyscall: string;
  /** errno name of pollOpen(-1). */
  readonly badFd: string;
  /** errno name of pollOpen on a regular file, or null where the kernel accepts it (always ready). */
  readonly regularFile: string | null;
  /** errno name of a second pollOpen of one fd, or null where it replaces the first registration. */
  readonly openTwice: string | null;
  /** How many descriptors the poller holds (its own, its wake-up's, epoll's deadline timerfd). */
  readonly ownDescriptors: number;
  /**
   * Edge-triggered for the whole descriptor life (epoll, kqueue): readiness
   * is reported while nobody waits, and once. Event ports report only a
   * direction a waiter armed, and again at every arm while it holds (level).
   */
  readonly edgeTriggered: boolean;
}

const kqueueUserWake = profile.kqueue?.consts.EVFILT_USER !== undefined;

const table: Record<typeof profile.backend, BackendFacts> = {
  // epoll_ctl(2): EPERM for a file that does not support polling; EEXIST when already registered.
  epoll: {
    openSyscall: "epoll_ctl",
    badFd: "EBADF",
    regularFile: "EPERM",
    openTwice: "EEXIST",
    ownDescriptors: 3,
    edgeTriggered: true,
  },
  // kqueue(2): EV_ADD of an existing knote modifies it; vnodes have read/write filters.
  kqueue: {
    openSyscall: profile.kqueue?.keventSymbol ?? "kevent",
    badFd: "EBADF",
    regularFile: null,
    openTwice: null,
    ownDescriptors: kqueueUserWake ? 1 : 3,
    edgeTriggered: true,
  },
  // port_associate(3C): EBADFD for an invalid object; associating again replaces the association.
  ports: {
    openSyscall: "port_associate",
    badFd: "EBADFD",
    regularFile: null,
    openTwice: null,
    ownDescriptors: 1,
    edgeTriggered: false,
  },
};

/** The facts of the backend in force. */
export const backendFacts: BackendFacts = table[profile.backend];
/** Which backend (and model, if any) these tests run against, for test names. */
export const backendLabel: string = profile.model === undefined
  ? profile.backend
  : `${profile.backend}, ${profile.model} model`;
