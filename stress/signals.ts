/**
 * Signals while waits are parked: child processes start and exit (SIGCHLD),
 * and SIGUSR2 is sent to the process and straight to every thread sitting
 * in an epoll wait (the poller thread among them), so the blocking poll
 * returns EINTR. Parked reads must still end exactly as they would have:
 * deadlines not early, data intact, no spurious error.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { ErrDeadlineExceeded } from "../src/mod.ts";
import { ffi, profile } from "../src/ffi/libc.ts";
import { closeQuietly, loopbackListener, pairOn } from "./pair.ts";
import { Rng } from "./prng.ts";
import { describe, Recorder, type Report } from "./report.ts";

/** How big a run. */
export interface SignalsOptions {
  /** Parked reads with a deadline and no data. */
  deadlineWaits: number;
  /** Parked reads whose data a timer sends later. */
  dataWaits: number;
  children: number;
  signals: number;
  seed: number;
}

// tgkill(2) (glibc >= 2.30): a signal to one thread. SIGUSR2 is 12 on Linux.
const SIGUSR2 = 12;
const sys = ffi.open(profile.libc, { tgkill: { args: ["i32", "i32", "i32"], ret: "i32" } });
// x86_64 syscall numbers of epoll_wait, epoll_pwait, epoll_pwait2, as /proc/<tid>/syscall shows them.
const epollWaits = new Set(["232", "281", "441"]);

/** Threads of this process blocked in an epoll wait right now. */
function threadsInEpollWait(): number[] {
  const tids: number[] = [];
  for (const t of readdirSync("/proc/self/task")) {
    try {
      if (epollWaits.has(readFileSync(`/proc/self/task/${t}/syscall`, "utf8").split(" ")[0]!)) tids.push(Number(t));
    } catch {
      // the thread exited meanwhile
    }
  }
  return tids;
}

function childExits(): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const c = spawn("true", [], { stdio: "ignore" });
    c.on("error", reject);
    c.on("exit", (code) => resolve(code));
  });
}

/** Runs the scenario; see the module doc. */
export async function signals(o: SignalsOptions): Promise<Report> {
  const rec = new Recorder("signals");
  const rng = new Rng(o.seed);
  let handled = 0;
  const onSignal = () => handled++;
  process.on("SIGUSR2", onSignal); // without a handler SIGUSR2 would kill the process
  const l = loopbackListener("tcp");
  const pairs = await Promise.all(Array.from({ length: o.deadlineWaits + o.dataWaits }, () => pairOn(l)));
  try {
    const waits = pairs.map(async ([a, b], i) => {
      const buf = new Uint8Array(64);
      if (i < o.deadlineWaits) {
        const ms = rng.int(20, 200);
        const due = Date.now() + ms;
        a.setReadDeadline(due);
        try {
          await a.read(buf);
          rec.problem(`deadline wait ${i}: read returned with no data sent`);
        } catch (e) {
          if (!(e instanceof ErrDeadlineExceeded)) rec.problem(`deadline wait ${i}: ${describe(e)}`);
          else if (Date.now() < due) rec.problem(`deadline wait ${i}: timed out ${due - Date.now()} ms early`);
          else rec.add("deadlinesOnTime");
        }
      } else {
        const msg = new Uint8Array(rng.fill(new Uint8Array(rng.int(1, 64))));
        setTimeout(() => void b.write(msg), rng.int(10, 150));
        let got = 0;
        while (got < msg.length) {
          const n = await a.read(buf.subarray(got, msg.length));
          if (n === null) throw new Error(`data wait ${i}: end of stream`);
          got += n;
        }
        if (buf.subarray(0, msg.length).every((x, k) => x === msg[k])) rec.add("dataWaitsIntact");
        else rec.problem(`data wait ${i}: bytes differ`);
      }
    });
    const storm = (async () => {
      let children = 0;
      for (let s = 0; s < o.signals || children < o.children; s++) {
        if (children < o.children) {
          const code = await childExits();
          children++;
          if (code === 0) rec.add("childrenExited");
          else rec.problem(`child exited with ${code}`);
        } else await new Promise((r) => setTimeout(r, 1)); // pacing: let waits park between signals
        if (s < o.signals) {
          process.kill(process.pid, "SIGUSR2");
          rec.add("signalsToProcess");
          for (const tid of threadsInEpollWait()) {
            if (sys.tgkill(process.pid, tid, SIGUSR2) === 0) rec.add("signalsToPollingThreads");
          }
        }
      }
    })();
    await Promise.all([storm, ...waits]);
    // Standard signals coalesce while pending: at least one handled, at most all.
    rec.figures.signalsHandled = handled;
    rec.check(handled >= 1, "no SIGUSR2 reached the handler");
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    for (const [a, b] of pairs) closeQuietly(a), closeQuietly(b);
    l.close();
    process.off("SIGUSR2", onSignal);
  }
  return rec.finish();
}
