// Microbenchmarks of the poller's own costs, with mitata:
//   the FFI floor (one trivial libc call), pollWait on an fd that is already
//   ready, park + wake found by the inline poll, park + wake through the
//   poller thread, a deadline set + reset, pollOpen + pollClose churn.
// Run: bun bench/micro.ts | deno run --allow-ffi --allow-env bench/micro.ts (mitata reads colour settings)
// --markdown prints a Markdown table (the orchestrator puts it in the report).
import { bench, group, run, summary } from "mitata";
import process from "node:process";
import { setImmediate } from "node:timers";
import { netpollStats, pollClose, pollOpen, pollSetDeadline, pollUnblock, pollWait } from "../src/mod.ts";
import { epollLibc, ffi, libc, profile } from "../src/ffi/libc.ts";

const k = profile.epoll!.consts;
const efd = epollLibc!.eventfd(0, k.EFD_NONBLOCK | k.EFD_CLOEXEC);
const one = new Uint8Array(new BigUint64Array([1n]).buffer);
const drain = new Uint8Array(8);
const pd = pollOpen(efd);
const fds = new Int32Array(2);
libc.pipe2(fds, profile.sock.O_NONBLOCK | profile.sock.O_CLOEXEC);

// The floor: a libc call that does no syscall, so only the FFI crossing is timed.
const { abs } = ffi.open(profile.libc, { abs: { args: ["i32"], ret: "i32" } } as const);
group("floor", () => {
  bench("FFI call: abs(i32), no syscall", () => abs(-7));
  bench("FFI call + syscall: close(-1) → EBADF", () => libc.close(-1));
});

summary(() => {
  group("waits", () => {
    bench("pollWait on a ready fd (pdReady consumed)", async () => {
      libc.write(efd, one, 8);
      // Let the inline poll mark it ready, then time the wait that consumes it.
      await pollWait(pd, "r");
      libc.read(efd, drain, 8);
    });
    bench("park + wake, found by the inline poll", async () => {
      const p = pollWait(pd, "r");
      libc.write(efd, one, 8);
      await p;
      libc.read(efd, drain, 8);
    });
    bench("park + wake through the poller thread", async () => {
      const p = pollWait(pd, "r");
      const hops = netpollStats().blockingPolls;
      while (netpollStats().blockingPolls === hops) await new Promise<void>((r) => setImmediate(r));
      libc.write(efd, one, 8);
      await p;
      libc.read(efd, drain, 8);
    });
  });
});

group("deadlines and registration", () => {
  bench("pollSetDeadline set + reset", () => {
    pollSetDeadline(pd, 50e6, "r");
    pollSetDeadline(pd, 60e6, "r");
    pollSetDeadline(pd, 0, "r");
  });
  bench("pollOpen + pollUnblock + pollClose", () => {
    const p = pollOpen(fds[0]!);
    pollUnblock(p);
    pollClose(p);
  });
});

await run({ format: process.argv.includes("--markdown") ? "markdown" : "mitata" });
pollUnblock(pd);
pollClose(pd);
libc.close(efd);
libc.close(fds[0]!);
libc.close(fds[1]!);
