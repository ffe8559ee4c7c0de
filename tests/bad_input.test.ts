// Bad input to every public function and option: each is refused with a
// specific error class and a message that starts with the call's name, and
// afterwards the poller still works (the last test). One table, so a new
// public function gets its row here.
import { openSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type Conn,
  connect,
  ErrClosing,
  ErrnoError,
  isPollServerDescriptor,
  listen,
  type Listener,
  netpollShutdown,
  netpollStats,
  pollClose,
  type PollDesc,
  pollOpen,
  pollReset,
  pollSetDeadline,
  pollUnblock,
  pollWait,
  pollWaitCanceled,
  UsageError,
  watch,
} from "../src/mod.ts";
import { eventfd, signal } from "./helpers.ts";
import { libc } from "../src/ffi/libc.ts";

type ErrorClass = abstract new (...args: never[]) => Error;

/** What a call did: threw synchronously, rejected, or returned. */
async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return "no error";
  } catch (e) {
    return e;
  }
}

// Wrong values for the usual slots. `as never` because the types would (rightly) refuse them.
const notInts = ["3", 1.5, NaN, Infinity, 2 ** 40, undefined, null, {}, 3n] as never[];
const notBuffers = ["abc", null, undefined, 42, [1, 2], new ArrayBuffer(4), new Uint16Array(2), {}] as never[];
const notDeadlines = [NaN, "soon", {}, [], true, 5n] as never[];
const notOpts = ["x", 5, { signal: "x" }, { signal: {} }] as never[];

let l: Listener;
let a: Conn;
let b: Conn;
let closed: Conn;
let efd: number;
let pd: PollDesc;
let file: number;

beforeAll(async () => {
  l = listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as { port: number }).port;
  [a, b] = await Promise.all([connect({ hostname: "127.0.0.1", port }), l.accept()]);
  const [c, d] = await Promise.all([connect({ hostname: "127.0.0.1", port }), l.accept()]);
  c.close();
  d.close();
  closed = c;
  efd = eventfd();
  pd = pollOpen(efd);
  file = openSync(new URL(import.meta.url).pathname, "r");
});

afterAll(() => {
  a.close();
  b.close();
  l.close();
  pollUnblock(pd);
  pollClose(pd);
  libc.close(efd);
  libc.close(file);
});

// [call, what is wrong, the call, expected class, message start]
type Row = [string, string, () => unknown, ErrorClass, string];
const rows = (): Row[] => [
  // ---- Go's poll API ----
  ...notInts.map((v): Row => ["pollOpen", `fd ${String(v)}`, () => pollOpen(v), TypeError, "pollOpen: "]),
  ["pollOpen", "fd -1", () => pollOpen(-1), ErrnoError, "epoll_ctl: EBADF"],
  ["pollOpen", "a regular file", () => pollOpen(file), ErrnoError, "epoll_ctl: EPERM"],
  ["pollOpen", "an fd already open", () => pollOpen(efd), ErrnoError, "epoll_ctl: EEXIST"],
  ...[{}, null, 42, "pd", { fd: 3 }].map((v): Row => [
    "pollWait",
    `pd ${JSON.stringify(v)}`,
    () => pollWait(v as never, "r"),
    TypeError,
    "pollWait: expected a PollDesc",
  ]),
  ...["x", "", "rw", null, 1].map((m): Row => [
    "pollWait",
    `mode ${JSON.stringify(m)}`,
    () => pollWait(pd, m as never),
    TypeError,
    "pollWait: mode must be",
  ]),
  ["pollWaitCanceled", "pd {}", () => pollWaitCanceled({} as never, "r"), TypeError, "pollWaitCanceled: "],
  ["pollWaitCanceled", "mode q", () => pollWaitCanceled(pd, "q" as never), TypeError, "pollWaitCanceled: "],
  ["pollReset", "pd null", () => pollReset(null as never, "r"), TypeError, "pollReset: "],
  ["pollReset", "mode w+", () => pollReset(pd, "w+" as never), TypeError, "pollReset: "],
  ...[NaN, "1", null, undefined, 1n].map((d): Row => [
    "pollSetDeadline",
    `d ${String(d)}`,
    () => pollSetDeadline(pd, d as never, "r"),
    TypeError,
    "pollSetDeadline: d must be",
  ]),
  ["pollSetDeadline", "mode x", () => pollSetDeadline(pd, 0, "x" as never), TypeError, "pollSetDeadline: "],
  ["pollUnblock", "pd undefined", () => pollUnblock(undefined as never), TypeError, "pollUnblock: "],
  ["pollClose", "before pollUnblock", () => pollClose(pd), UsageError, "pollClose: pollUnblock must come first"],
  ["pollClose", "pd 7", () => pollClose(7 as never), TypeError, "pollClose: "],
  ...notInts.map((v): Row => [
    "isPollServerDescriptor",
    `fd ${String(v)}`,
    () => isPollServerDescriptor(v),
    TypeError,
    "isPollServerDescriptor: ",
  ]),
  ["netpollShutdown", "with a pollDesc open", () => netpollShutdown(), UsageError, "netpollShutdown: "],
  // ---- listen / connect ----
  ...[null, undefined, 5, "127.0.0.1:80"].map((o): Row => [
    "listen",
    `options ${String(o)}`,
    () => listen(o as never),
    TypeError,
    "listen: options must be",
  ]),
  ...[-1, 65536, 1.5, NaN, "80"].map((port): Row => [
    "listen",
    `port ${String(port)}`,
    () => listen({ hostname: "127.0.0.1", port: port as never }),
    RangeError,
    "listen: port must be",
  ]),
  ["listen", "backlog -5", () => listen({ port: 0, backlog: -5 }), RangeError, "listen: backlog"],
  ["listen", "hostname 5", () => listen({ hostname: 5 as never, port: 0 }), TypeError, "listen: "],
  ["listen", "hostname 256.0.0.1", () => listen({ hostname: "256.0.0.1", port: 0 }), TypeError, "listen: "],
  ["listen", "transport sctp", () => listen({ transport: "sctp" as never, port: 0 }), TypeError, "listen: transport"],
  ["listen", "unix path ''", () => listen({ transport: "unix", path: "" }), RangeError, "listen: "],
  ["listen", "unix path 200 bytes", () => listen({ transport: "unix", path: "x".repeat(200) }), RangeError, "listen: "],
  ["listen", "unix path 7", () => listen({ transport: "unix", path: 7 as never }), TypeError, "listen: "],
  [
    "listen",
    "address in use",
    () => listen({ hostname: "127.0.0.1", port: (l.addr as { port: number }).port }),
    ErrnoError,
    "bind: EADDRINUSE",
  ],
  ...[null, 5].map((o): Row => ["connect", `options ${o}`, () => connect(o as never), TypeError, "connect: options"]),
  ...[0, -1, 65536, 1.5, "80", undefined].map((port): Row => [
    "connect",
    `port ${String(port)}`,
    () => connect({ hostname: "127.0.0.1", port: port as never }),
    RangeError,
    "connect: port must be",
  ]),
  ["connect", "transport udp", () => connect({ transport: "udp" as never, port: 1 }), TypeError, "connect: transport"],
  ["connect", "unix path with NUL", () => connect({ transport: "unix", path: "a\0b" }), TypeError, "connect: "],
  ["connect", "signal 'x'", () => connect({ port: 1, signal: "x" as never }), TypeError, "connect: "],
  // ---- Conn ----
  ...notBuffers.map((p): Row => ["read", `buffer ${String(p)}`, () => a.read(p), TypeError, "read: "]),
  ...notBuffers.map((p): Row => ["write", `buffer ${String(p)}`, () => a.write(p), TypeError, "write: "]),
  ...notOpts.map((
    o,
  ): Row => ["read", `options ${JSON.stringify(o)}`, () => a.read(new Uint8Array(1), o), TypeError, "read: "]),
  ...notOpts.map((
    o,
  ): Row => ["write", `options ${JSON.stringify(o)}`, () => a.write(new Uint8Array(1), o), TypeError, "write: "]),
  ...notDeadlines.map((t): Row => ["setDeadline", `${String(t)}`, () => a.setDeadline(t), TypeError, "setDeadline: "]),
  ...notDeadlines.map((
    t,
  ): Row => ["setReadDeadline", `${String(t)}`, () => a.setReadDeadline(t), TypeError, "setReadDeadline: "]),
  ...notDeadlines.map((
    t,
  ): Row => ["setWriteDeadline", `${String(t)}`, () => a.setWriteDeadline(t), TypeError, "setWriteDeadline: "]),
  ...notBuffers.map((
    p,
  ): Row => ["readEach", `buffer ${String(p)}`, () => a.readEach(p, () => {}), TypeError, "readEach: "]),
  ["readEach", "an empty buffer", () => a.readEach(new Uint8Array(0), () => {}), RangeError, "readEach: the buffer"],
  ...[undefined, null, 5, "f", {}].map((f): Row => [
    "readEach",
    `onData ${String(f)}`,
    () => a.readEach(new Uint8Array(1), f as never),
    TypeError,
    "readEach: onData must be a function",
  ]),
  ...notOpts.map((o): Row => [
    "readEach",
    `options ${JSON.stringify(o)}`,
    () => a.readEach(new Uint8Array(1), () => {}, o),
    TypeError,
    "readEach: ",
  ]),
  ...notBuffers.map((p): Row => ["tryWrite", `buffer ${String(p)}`, () => a.tryWrite(p), TypeError, "tryWrite: "]),
  ...[-1, 1.5, 2, NaN, "1"].map((n): Row => [
    "tryWrite",
    `byte count ${String(n)} of a 1-byte buffer`,
    () => a.tryWrite(new Uint8Array(1), n as never),
    RangeError,
    "tryWrite: the byte count",
  ]),
  [
    "readEach",
    "a closed conn",
    () => closed.readEach(new Uint8Array(1), () => {}),
    ErrClosing,
    "readEach: use of closed",
  ],
  ["tryWrite", "a closed conn", () => closed.tryWrite(new Uint8Array(1)), ErrClosing, "tryWrite: use of closed"],
  ["read", "a closed conn", () => closed.read(new Uint8Array(1)), ErrClosing, "read: use of closed"],
  ["write", "a closed conn", () => closed.write(new Uint8Array(1)), ErrClosing, "write: use of closed"],
  ["close", "a second time", () => closed.close(), ErrClosing, "close: use of closed"],
  ["closeWrite", "a closed conn", () => closed.closeWrite(), ErrClosing, "closeWrite: use of closed"],
  ["setNoDelay", "a closed conn", () => closed.setNoDelay(), ErrClosing, "setNoDelay: use of closed"],
  ["setKeepAlive", "a closed conn", () => closed.setKeepAlive(), ErrClosing, "setKeepAlive: use of closed"],
  ["setDeadline", "a closed conn", () => closed.setDeadline(null), ErrClosing, "setDeadline: use of closed"],
  ["setReadDeadline", "a closed conn", () => closed.setReadDeadline(0), ErrClosing, "setReadDeadline: "],
  // ---- Listener ----
  ...notOpts.map((o): Row => ["accept", `options ${JSON.stringify(o)}`, () => l.accept(o), TypeError, "accept: "]),
  // ---- watch ----
  ...notInts.map((v): Row => ["watch", `fd ${String(v)}`, () => watch(v), TypeError, "watch: "]),
  ["watch", "fd -1", () => watch(-1), ErrnoError, "epoll_ctl: EBADF"],
  ["watch", "a regular file", () => watch(file), ErrnoError, "epoll_ctl: EPERM"],
];

describe("bad input: a specific error naming the call", () => {
  test.each(rows().map((r) => [`${r[0]}: ${r[1]}`, r] as const))("%s", async (_, [, , fn, cls, start]) => {
    const e = await outcome(fn);
    expect(e).toBeInstanceOf(cls);
    expect((e as Error).message.startsWith(start), (e as Error).message).toBe(true);
  });
});

describe("after all of it", () => {
  test("the poller still works: a round trip, a deadline, an event on the eventfd, nothing left parked", async () => {
    await a.write(new Uint8Array([5]));
    const one = new Uint8Array(1);
    expect(await b.read(one)).toBe(1);
    expect(one[0]).toBe(5);
    b.setReadDeadline(Date.now() + 10);
    await expect(b.read(one)).rejects.toThrow("read: i/o timeout");
    b.setReadDeadline(null);
    signal(efd);
    expect(await pollWait(pd, "r")).toBe(0);
    expect(netpollStats().waiters).toBe(0);
  });
});
