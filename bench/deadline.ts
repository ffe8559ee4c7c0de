// Deadline lateness: how late a read deadline fires (fired minus due), for
// this library's Conn.setReadDeadline and, as the reference, the runtime's own
// timer (setTimeout), 1, 10 and 100 ms, many at once. Prints one JSON line.
// Run: bun bench/deadline.ts | deno run --allow-ffi bench/deadline.ts   [--n=200] [--warmup=5] [--passes=3]
//
// Each delay is measured in --passes passes (each: ours, then setTimeout),
// and each figure is the median over the passes, with the range of the p99s.
// One pass's n deadlines share the few waits that fire them, so a single
// stalled wait (about 1 in 100 on this VM, docs/PERFORMANCE.md) makes a
// whole pass late: one pass measured the machine's worst moment as often as
// the timers.
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

const measured = Number(process.argv.find((a) => a.startsWith("--passes="))?.slice(9) ?? 3);
if (!Number.isInteger(measured) || measured < 1) throw new RangeError("--passes must be a whole number ≥ 1");
type Figures = { p50: number; p99: number; max: number };
const perPass: Record<string, Figures[]> = {};
const record = (key: string, xs: number[]) =>
  (perPass[key] ??= []).push({ p50: pct(xs, 50), p99: pct(xs, 99), max: pct(xs, 100) });
// The first passes warm both sides up (compiling the read, deadline and
// timer paths, growing the heaps) and are not reported: the load benchmarks
// have a 1 s warm-up too. With no warm-up the 1 ms figure measured mostly how
// long cold code took to park the batch (10+ ms on both runtimes); with one
// pass, Deno's code was still tiering up in the next (the batch took 2-3 ms
// to park, against 0.5 ms hot).
const warmups = Number(process.argv.find((a) => a.startsWith("--warmup="))?.slice(9) ?? 5);
const passes = [
  ...Array.from({ length: warmups }, () => [0, 1] as const),
  ...Array.from({ length: measured }, () => delays.map((d) => [1, d] as const)).flat(),
];
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
  if (pass === 1) record(`netpoll_${ms}ms`, late);
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
  if (pass === 1) record(`setTimeout_${ms}ms`, tl);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out: Record<string, Figures & { p99Range: [number, number] }> = {};
for (const [key, fs] of Object.entries(perPass)) {
  const p99s = fs.map((f) => f.p99);
  out[key] = {
    p50: median(fs.map((f) => f.p50)),
    p99: median(p99s),
    max: median(fs.map((f) => f.max)),
    p99Range: [Math.min(...p99s), Math.max(...p99s)],
  };
}
// Date.now() has 1 ms resolution: a deadline can be set up to 1 ms early. Lateness is measured
// from the performance.now() due time, so early firing shows as negative lateness.
console.log(JSON.stringify({ n, passes: measured, lateMs: out }));
for (const c of [...conns, ...servers]) c.close();
l.close();
