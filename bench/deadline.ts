// Deadline lateness: how late a read deadline fires (fired minus due), for
// this library's Conn.setReadDeadline and, as the reference, the runtime's own
// timer (setTimeout), 1, 10 and 100 ms, many at once. Prints one JSON line.
// Run: bun bench/deadline.ts | deno run --allow-ffi bench/deadline.ts   [--n=200] [--warmup=5]
import process from "node:process";
import { connect, ErrDeadlineExceeded, listen, type NetAddr } from "../src/mod.ts";

const n = Number(process.argv.find((a) => a.startsWith("--n="))?.slice(4) ?? 200);
const delays = [1, 10, 100];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const l = listen({ hostname: "127.0.0.1", port: 0 });
const port = (l.addr as NetAddr).port;
const conns = await Promise.all(Array.from({ length: n }, () => connect({ port })));
const servers = await Promise.all(conns.map(() => l.accept()));

const out: Record<string, { p50: number; p99: number; max: number }> = {};
// The first passes warm both sides up (compiling the read, deadline and
// timer paths, growing the heaps) and are not reported: the load benchmarks
// have a 1 s warm-up too. With no warm-up the 1 ms figure measured mostly how
// long cold code took to park the batch (10+ ms on both runtimes); with one
// pass, Deno's code was still tiering up in the next (the batch took 2-3 ms
// to park, against 0.5 ms hot).
const warmups = Number(process.argv.find((a) => a.startsWith("--warmup="))?.slice(9) ?? 5);
const passes = [...Array.from({ length: warmups }, () => [0, 1] as const), ...delays.map((d) => [1, d] as const)];
for (const [pass, ms] of passes) {
  // Ours: n parked reads, each with a deadline ms from its start.
  const late: number[] = [];
  await Promise.all(conns.map(async (c, i) => {
    const due = performance.now() + ms + (i % 10) * 0.1; // spread over 1 ms so they are not one timer
    c.setReadDeadline(Date.now() + (due - performance.now()));
    try {
      await c.read(new Uint8Array(1));
      throw new Error("read returned data");
    } catch (e) {
      if (!(e instanceof ErrDeadlineExceeded)) throw e;
      late.push(performance.now() - due);
    }
    c.setReadDeadline(null);
  }));
  if (pass === 1) out[`netpoll_${ms}ms`] = { p50: pct(late, 50), p99: pct(late, 99), max: pct(late, 100) };
  // The runtime's timer, same count and spread.
  const tl: number[] = [];
  await Promise.all(conns.map((_, i) =>
    new Promise<void>((resolve) => {
      const d = ms + (i % 10) * 0.1;
      const due = performance.now() + d;
      setTimeout(() => {
        tl.push(performance.now() - due);
        resolve();
      }, d);
    })
  ));
  if (pass === 1) out[`setTimeout_${ms}ms`] = { p50: pct(tl, 50), p99: pct(tl, 99), max: pct(tl, 100) };
}
// Date.now() has 1 ms resolution: a deadline can be set up to 1 ms early. Lateness is measured
// from the performance.now() due time, so early firing shows as negative lateness.
console.log(JSON.stringify({ n, lateMs: out }));
for (const c of [...conns, ...servers]) c.close();
l.close();
