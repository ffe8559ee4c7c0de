// The runtime poll API on real descriptors: readiness, the rg/wg semaphore
// rules, unblock and close, bad input. Runs unchanged on Bun and Deno.
import { describe, expect, test } from "vitest";
import {
  ErrnoError,
  isPollServerDescriptor,
  netpollStats,
  pollClose,
  PollCode,
  pollOpen,
  pollReset,
  pollSetDeadline,
  pollUnblock,
  pollWait,
  pollWaitCanceled,
  UsageError,
} from "../src/mod.ts";
import { currentPoller } from "../src/core/netpoll.ts";
import { profile } from "../src/ffi/libc.ts";
import { backendFacts } from "./backend_facts.ts";
import { closeAll, eventfd, openRegularFile, pipe, put, signal, socketpair, take } from "./helpers.ts";

function done(pd: ReturnType<typeof pollOpen>, ...fds: number[]): void {
  pollUnblock(pd);
  pollClose(pd);
  closeAll(...fds);
}

describe("readiness", () => {
  test("a pipe becomes readable when written while a reader is parked", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    const waiting = pollWait(pd, "r");
    expect(netpollStats().waiters).toBeGreaterThanOrEqual(1);
    put(w, [42]);
    expect(await waiting).toBe(PollCode.None);
    expect(take(r)).toEqual(new Uint8Array([42]));
    done(pd, r, w);
  });

  test("an eventfd becomes readable when signalled", async () => {
    const efd = eventfd();
    const pd = pollOpen(efd);
    const waiting = pollWait(pd, "r");
    signal(efd);
    expect(await waiting).toBe(PollCode.None);
    done(pd, efd);
  });

  test("a socketpair is writable at once and readable after the peer writes", async () => {
    const [a, b] = socketpair();
    const pa = pollOpen(a);
    expect(await pollWait(pa, "w")).toBe(PollCode.None);
    const reading = pollWait(pa, "r");
    put(b, [1, 2, 3]);
    expect(await reading).toBe(PollCode.None);
    expect(take(a)).toEqual(new Uint8Array([1, 2, 3]));
    done(pa, a, b);
  });

  test(
    `readiness that arrives before the wait is kept, and consumed by exactly one wait${
      backendFacts.edgeTriggered ? "" : " (level-triggered: while the data stays unread, every armed wait sees it)"
    }`,
    async () => {
      const [r, w] = pipe();
      const pd = pollOpen(r);
      put(w);
      // Let the poller see the edge while nobody waits: it becomes pdReady.
      const other = eventfd();
      const po = pollOpen(other);
      const flush = pollWait(po, "r");
      signal(other);
      await flush;
      expect(await pollWait(pd, "r")).toBe(PollCode.None); // consumed without a new edge
      // The notification is gone: the next wait parks until its deadline.
      pollSetDeadline(pd, 20e6, "r");
      expect(await pollWait(pd, "r")).toBe(backendFacts.edgeTriggered ? PollCode.Timeout : PollCode.None);
      take(r);
      pollSetDeadline(pd, 20e6, "r");
      expect(await pollWait(pd, "r")).toBe(PollCode.Timeout); // drained: nothing left to report, on any backend
      done(po, other);
      done(pd, r, w);
    },
  );

  test("peer close wakes a parked reader (EPOLLHUP/RDHUP count as readable)", async () => {
    const [a, b] = socketpair();
    const pd = pollOpen(a);
    const waiting = pollWait(pd, "r");
    closeAll(b);
    expect(await waiting).toBe(PollCode.None);
    expect(take(a)).toEqual(new Uint8Array(0)); // EOF
    done(pd, a);
  });

  test("readers and writers on one pollDesc are independent", async () => {
    const [a, b] = socketpair();
    const pd = pollOpen(a);
    const reading = pollWait(pd, "r");
    expect(await pollWait(pd, "w")).toBe(PollCode.None); // write does not disturb the parked read
    put(b, [7]);
    expect(await reading).toBe(PollCode.None);
    done(pd, a, b);
  });

  test("1000 descriptors each wake their own waiter, once", async () => {
    const pairs = Array.from({ length: 500 }, () => pipe());
    const pds = pairs.map(([r]) => pollOpen(r));
    const pds2 = pairs.map(([, w]) => w);
    // 500 pipes: 500 read ends watched for read, 500 write ends watched for write = 1000 descriptors.
    const wpds = pds2.map((w) => pollOpen(w));
    const woke = new Array<number>(pds.length).fill(0);
    const waits = pds.map((pd, i) =>
      pollWait(pd, "r").then((c) => {
        woke[i]!++;
        return c;
      })
    );
    expect(netpollStats().open).toBeGreaterThanOrEqual(1000);
    for (let i = 0; i < pairs.length; i += 2) put(pairs[i]![1]); // even ones only, first
    const writable = await Promise.all(wpds.map((pd) => pollWait(pd, "w")));
    expect(writable.every((c) => c === PollCode.None)).toBe(true);
    for (let i = 1; i < pairs.length; i += 2) put(pairs[i]![1]);
    const codes = await Promise.all(waits);
    expect(codes.every((c) => c === PollCode.None)).toBe(true);
    expect(woke.every((n) => n === 1)).toBe(true);
    pds.forEach((pd, i) => done(pd, pairs[i]![0]));
    wpds.forEach((pd, i) => done(pd, pairs[i]![1]));
  });
});

describe("unblock and close", () => {
  test("pollUnblock wakes a parked reader and writer with Closing", async () => {
    const [a, b] = socketpair();
    const pd = pollOpen(a);
    // Fill the socket so a write wait parks.
    const chunk = new Uint8Array(65536);
    while (true) {
      const { libc } = await import("../src/ffi/libc.ts");
      if (libc.write(a, chunk, chunk.length) < 0) break;
    }
    const r = pollWait(pd, "r");
    const w = pollWait(pd, "w");
    expect(netpollStats().waiters).toBeGreaterThanOrEqual(2);
    pollUnblock(pd);
    expect(await r).toBe(PollCode.Closing);
    expect(await w).toBe(PollCode.Closing);
    expect(await pollWait(pd, "r")).toBe(PollCode.Closing); // and every wait after
    expect(pollReset(pd, "w")).toBe(PollCode.Closing);
    pollClose(pd);
    closeAll(a, b);
  });

  test("pollClose before pollUnblock is refused, and the pollDesc keeps working", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    expect(() => pollClose(pd)).toThrow(UsageError);
    expect(() => pollClose(pd)).toThrow(/pollClose: pollUnblock must come first/);
    const waiting = pollWait(pd, "r");
    put(w);
    expect(await waiting).toBe(PollCode.None);
    done(pd, r, w);
  });

  test("a second pollUnblock, and any use after pollClose, name the call", () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    pollUnblock(pd);
    expect(() => pollUnblock(pd)).toThrow(/pollUnblock: fd \d+ is already unblocked/);
    pollClose(pd);
    expect(() => pollClose(pd)).toThrow(/pollClose: the pollDesc for fd \d+ is closed/);
    expect(() => pollWait(pd, "r")).toThrow(UsageError);
    expect(() => pollSetDeadline(pd, 1, "r")).toThrow(/pollSetDeadline/);
    closeAll(r, w);
  });

  test("pollWaitCanceled ignores closing and deadlines, and returns on I/O", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    let settled = false;
    const waiting = pollWaitCanceled(pd, "r").then(() => (settled = true));
    pollSetDeadline(pd, -1, "r");
    pollUnblock(pd);
    expect(() => pollClose(pd)).toThrow(/still parked/);
    await Promise.resolve();
    expect(settled).toBe(false);
    put(w);
    await waiting;
    expect(settled).toBe(true);
    pollClose(pd);
    closeAll(r, w);
  });
});

describe("double wait", () => {
  test("a second wait in one mode rejects and the first keeps working", async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    const first = pollWait(pd, "r");
    await expect(pollWait(pd, "r")).rejects.toThrow(/pollWait: double wait: a read wait is already parked/);
    expect(() => pollReset(pd, "r")).toThrow(/pollReset: a read wait is parked/);
    put(w);
    expect(await first).toBe(PollCode.None);
    done(pd, r, w);
  });
});

describe("bad input", () => {
  test(`pollOpen(-1) is ${backendFacts.badFd} from ${backendFacts.openSyscall}`, () => {
    let err: unknown;
    try {
      pollOpen(-1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ErrnoError);
    const e = err as ErrnoError;
    const { badFd, openSyscall } = backendFacts;
    expect(e.code).toBe(badFd);
    expect(e.errno).toBe(profile.errno[badFd]);
    expect(e.syscall).toBe(openSyscall);
    expect(e.message).toBe(`${openSyscall}: ${badFd} (errno ${profile.errno[badFd]}): pollOpen(-1)`);
  });

  test(`a regular file is ${backendFacts.regularFile ?? "accepted (always ready)"}, and the poller stays consistent`, async () => {
    const fd = openRegularFile(new URL(import.meta.url).pathname);
    const before = netpollStats().open;
    if (backendFacts.regularFile !== null) {
      expect(() => pollOpen(fd)).toThrow(`${backendFacts.openSyscall}: ${backendFacts.regularFile}`);
      expect(netpollStats().open).toBe(before);
      closeAll(fd);
    } else {
      const pd = pollOpen(fd);
      expect(netpollStats().open).toBe(before + 1);
      expect(await pollWait(pd, "r")).toBe(PollCode.None);
      done(pd, fd);
    }
    const [r, w] = pipe();
    const pd = pollOpen(r);
    put(w);
    expect(await pollWait(pd, "r")).toBe(PollCode.None);
    done(pd, r, w);
  });

  test("a closed fd is EBADF", () => {
    const [r, w] = pipe();
    closeAll(r, w);
    expect(() => pollOpen(r)).toThrow(/EBADF/);
  });

  test(`registering the same fd twice ${backendFacts.openTwice ?? "replaces the first registration"}`, async () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    if (backendFacts.openTwice !== null) {
      expect(() => pollOpen(r)).toThrow(`${backendFacts.openSyscall}: ${backendFacts.openTwice}`);
      done(pd, r, w);
      return;
    }
    // The kernel keeps one registration per descriptor: the second tag wins.
    const second = pollOpen(r);
    const waiting = pollWait(second, "r");
    put(w);
    expect(await waiting).toBe(PollCode.None);
    pollUnblock(pd);
    pollClose(pd);
    done(second, r, w);
  });

  test("non-integer fds, unknown modes and NaN deadlines are TypeErrors naming the call", () => {
    expect(() => pollOpen(1.5)).toThrow(/pollOpen: fd must be a 32-bit integer/);
    expect(() => pollOpen(Number.NaN)).toThrow(TypeError);
    expect(() => pollOpen(2 ** 40)).toThrow(TypeError);
    const [r, w] = pipe();
    const pd = pollOpen(r);
    expect(() => pollWait(pd, "x" as "r")).toThrow(/pollWait: mode must be "r" or "w"/);
    expect(() => pollWait(pd, "rw" as "r")).toThrow(TypeError);
    expect(() => pollSetDeadline(pd, Number.NaN, "r")).toThrow(/pollSetDeadline: d must be a number/);
    expect(() => pollSetDeadline(pd, 1, "q" as "r")).toThrow(TypeError);
    expect(() => pollWait({ fd: r }, "r")).toThrow(/expected a PollDesc from pollOpen/);
    done(pd, r, w);
  });

  test("the poller's own descriptors are reported, others are not", () => {
    const [r, w] = pipe();
    const pd = pollOpen(r);
    expect(isPollServerDescriptor(r)).toBe(false);
    let own = 0;
    for (let fd = 0; fd < 1024; fd++) if (isPollServerDescriptor(fd)) own++;
    expect(own).toBe(backendFacts.ownDescriptors);
    done(pd, r, w);
  });
});

describe("tick", () => {
  test("an FD operation inside a tick's poll (a woken read's retry) does not poll again: the event buffer is in use", () => {
    const [r, w] = pipe();
    const pd = pollOpen(r); // makes the poller
    const p = currentPoller()!;
    const be = p.backend;
    const inline = be.pollInline;
    let depth = 0;
    let deepest = 0;
    let polls = 0;
    // Each read woken by this poll completes and ticks, as FD reads do from their callbacks.
    be.pollInline = (sink) => {
      polls++;
      deepest = Math.max(deepest, ++depth);
      try {
        if (depth === 1) { for (let i = 0; i < 100; i++) p.tick(); // (only the first level: no runaway without the guard)
         }
        return inline.call(be, sink);
      } finally {
        depth--;
      }
    };
    try {
      for (let i = 0; i < 64; i++) p.tick(); // 64 operations that did not park: two polls are due
    } finally {
      be.pollInline = inline;
    }
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(deepest).toBe(1);
    done(pd, r, w);
  });
});
