// Wake round trip: how long from "the fd became readable" to "the parked
// waiter's promise resolved", by each of the poll loop's two paths:
//   inline  the main thread finds the event with epoll_wait(0) (no thread hop)
//   thread  the poller thread is blocked in epoll_wait(-1) and is woken
// Run: bun bench/wake.ts   |   deno run --allow-ffi bench/wake.ts
// Prints medians and p99 in µs, and checks each path really took that path.
import process from "node:process";
import { setImmediate } from "node:timers";
import { netpollStats, pollClose, PollCode, pollOpen, pollUnblock, pollWait } from "../src/mod.ts";
import { epollLibc, errnoCell, libc, profile } from "../src/ffi/libc.ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
const n = Number(process.argv.find((a) => a.startsWith("--n="))?.slice(4) ?? 3000);

const k = profile.epoll!.consts;
const efd = epollLibc!.eventfd(0, k.EFD_NONBLOCK | k.EFD_CLOEXEC);
if (efd < 0) throw new Error(`eventfd failed: errno ${errnoCell[0]}`);
const one = new Uint8Array(new BigUint64Array([1n]).buffer);
const drain = new Uint8Array(8);
const pd = pollOpen(efd);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const us = (x: number) => (x * 1000).toFixed(1);

async function inline(): Promise<number[]> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = pollWait(pd, "r");
    const t0 = performance.now();
    libc.write(efd, one, 8); // before the loop's setImmediate: found by the inline poll
    if ((await p) !== PollCode.None) throw new Error("inline: unexpected code");
    t.push(performance.now() - t0);
    libc.read(efd, drain, 8);
  }
  return t;
}

async function thread(): Promise<number[]> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = pollWait(pd, "r");
    const hops = netpollStats().blockingPolls;
    // Yield until the loop has handed the wait to the poller thread (bounded).
    for (let j = 0; netpollStats().blockingPolls === hops; j++) {
      if (j > 100_000) throw new Error("thread: the poller thread never blocked");
      await new Promise<void>((r) => setImmediate(r));
    }
    const t0 = performance.now();
    libc.write(efd, one, 8);
    if ((await p) !== PollCode.None) throw new Error("thread: unexpected code");
    t.push(performance.now() - t0);
    libc.read(efd, drain, 8);
  }
  return t;
}

await inline(); // warm-up
const s0 = netpollStats();
const ti = await inline();
const s1 = netpollStats();
await thread();
const s2 = netpollStats();
const tt = await thread();
const s3 = netpollStats();

console.log(`wake round trip on ${runtime} (${profile.key}), ${n} round trips per path`);
console.log(
  `  inline (epoll_wait(0) on the main thread): median ${us(pct(ti, 50))} µs, p99 ${us(pct(ti, 99))} µs, thread hops ${
    s1.blockingPolls - s0.blockingPolls
  }`,
);
console.log(
  `  through the poller thread:                 median ${us(pct(tt, 50))} µs, p99 ${us(pct(tt, 99))} µs, thread hops ${
    s3.blockingPolls - s2.blockingPolls
  }`,
);
if (s1.blockingPolls - s0.blockingPolls > n / 100) {
  console.log("  warning: the inline path hopped threads more than 1% of the time");
}
pollUnblock(pd);
pollClose(pd);
libc.close(efd);
