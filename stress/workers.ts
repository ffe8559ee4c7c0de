/**
 * Several Workers using the library at once, each with its own poller (one
 * per isolate, as Go has one per process), while the main thread runs the
 * same workload: every isolate's bytes arrive intact, every isolate's
 * deadlines fire, and each one shuts its poller down cleanly.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { echoPairs, type EchoPairsOptions } from "./echo_pairs.ts";
import { describe, Recorder, type Report, within } from "./report.ts";

/** How big a run. */
export interface WorkersOptions {
  workers: number;
  pairs: number;
  messages: number;
}

/** Runs the scenario; see the module doc. */
export async function workers(o: WorkersOptions): Promise<Report> {
  // Deno 2.9.6 keeps about four descriptors of every terminated Worker (an
  // eventpoll, an eventfd, another eventpoll, a socket), with or without
  // this library in it (measured with a Worker that only posts a message):
  // those are allowed; anything beyond is ours.
  const deno = typeof (globalThis as { Bun?: unknown }).Bun === "undefined";
  const rec = new Recorder("workers", { fdAllowance: 4 + (deno ? 4 * o.workers : 0) });
  const url = new URL("./worker_body.ts", import.meta.url);
  const started = Array.from({ length: o.workers }, (_, i) => {
    const data: EchoPairsOptions = { pairs: o.pairs, messages: o.messages, seed: i + 1 };
    const w = new Worker(url.pathname, { workerData: data });
    const report = new Promise<Report>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
      w.once("exit", (code) => reject(new Error(`worker ${i + 1} exited (${code}) without a report`)));
    });
    return { w, report };
  });
  try {
    await echoPairs(rec, { pairs: o.pairs, messages: o.messages, seed: 0 });
    for (const [i, s] of started.entries()) {
      try {
        const r = await within(`worker ${i + 1}`, 60_000, s.report);
        for (const p of r.problems) rec.problem(`${r.name}: ${p}`);
        rec.add("workerMessages", r.figures.messages ?? 0);
        rec.add("workerBytesVerified", r.figures.bytesVerified ?? 0);
        rec.add("workerDeadlinesMet", r.figures.deadlinesMet ?? 0);
        rec.check((r.figures.ownBlockingPolls ?? 0) > 0, `${r.name}: its poller thread was never used`);
        rec.add("workersClean");
      } catch (e) {
        rec.problem(describe(e));
      }
    }
  } finally {
    await Promise.all(started.map((s) => s.w.terminate()));
  }
  const expected = o.pairs * o.messages;
  rec.check(rec.figures.messages === expected, `main: ${rec.figures.messages} of ${expected} messages`);
  rec.check(rec.figures.workerMessages === expected * o.workers, "workers: messages missing");
  rec.check(rec.figures.workersClean === o.workers, "not every worker finished cleanly");
  return rec.finish();
}
