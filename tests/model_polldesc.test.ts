// Model-based test of the pollDesc state machine: a reference model of Go's
// rules (rg/wg: nil, ready, parked; closing; expired deadlines; reset;
// unblock; close; reopen with a new generation) and fast-check driving the
// real core and the model with the same random operations. After every
// step: each waiter has ended exactly as the model says (or is still parked
// when the model says so), the parked-waiter count (keep-alive) matches, and
// a stale event for a closed slot reaches nobody.
//
// Readiness is injected through the backend's sink (`ready`) rather than
// real I/O, so every run is deterministic: the pollDescs sit on the read ends
// of empty pipes, which the kernel never reports.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { modeR, modeRW, modeW } from "../src/backends/backend.ts";
import type { PollDescImpl } from "../src/core/polldesc.ts";
import {
  netpollStats,
  pollClose,
  PollCode,
  pollOpen,
  pollReset,
  pollSetDeadline,
  pollUnblock,
  pollWait,
  ready,
} from "../src/core/netpoll.ts";
import { UsageError } from "../src/core/errors.ts";
import { closeAll, pipe } from "./helpers.ts";

type Mode = "r" | "w";
type Op =
  | { t: "wait"; i: number; m: Mode }
  | { t: "ready"; i: number; m: Mode | "rw" }
  | { t: "deadline"; i: number; m: Mode | "rw"; when: "past" | "clear" | "future" }
  | { t: "reset"; i: number; m: Mode }
  | { t: "unblock"; i: number }
  | { t: "close"; i: number }
  | { t: "reopen"; i: number };

const N = 3; // pollDescs per run
const arbMode = fc.constantFrom<Mode>("r", "w");
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("wait" as const), i: fc.nat(N - 1), m: arbMode }),
  fc.record({ t: fc.constant("ready" as const), i: fc.nat(N - 1), m: fc.constantFrom<Mode | "rw">("r", "w", "rw") }),
  fc.record({
    t: fc.constant("deadline" as const),
    i: fc.nat(N - 1),
    m: fc.constantFrom<Mode | "rw">("r", "w", "rw"),
    when: fc.constantFrom("past" as const, "clear" as const, "future" as const),
  }),
  fc.record({ t: fc.constant("reset" as const), i: fc.nat(N - 1), m: arbMode }),
  fc.record({ t: fc.constant("unblock" as const), i: fc.nat(N - 1) }),
  fc.record({ t: fc.constant("close" as const), i: fc.nat(N - 1) }),
  fc.record({ t: fc.constant("reopen" as const), i: fc.nat(N - 1) }),
);

/** Go's rules for one pollDesc, as the model sees them. */
class ModelPD {
  g: Record<Mode, "nil" | "ready" | number> = { r: "nil", w: "nil" }; // number: the parked waiter's id
  expired: Record<Mode, boolean> = { r: false, w: false };
  closing = false;
  freed = false;
}

/** A waiter's end as the model predicts it and as the core delivered it. */
interface Waiter {
  expected: number | "parked";
  got: number | "parked";
  ends: number;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

let steps = 0;

async function run(ops: Op[]): Promise<void> {
  const fds: [number, number][] = [];
  const pds: PollDescImpl[] = [];
  const models: ModelPD[] = [];
  const waiters: Waiter[] = [];
  const stale: { slot: number; gen: number }[] = [];
  const open = (i: number) => {
    fds[i] = pipe();
    pds[i] = pollOpen(fds[i]![0]) as PollDescImpl;
    models[i] = new ModelPD();
  };
  for (let i = 0; i < N; i++) open(i);
  const base = netpollStats().waiters;

  const end = (w: number, code: number) => {
    waiters[w]!.expected = code;
  };
  const wake = (md: ModelPD, m: Mode, code: number) => {
    const w = md.g[m];
    if (typeof w === "number") {
      end(w, code);
      md.g[m] = "nil";
    }
  };

  try {
    for (const op of ops) {
      steps++;
      const md = models[op.i]!;
      const pd = pds[op.i]!;
      switch (op.t) {
        case "wait": {
          if (md.freed) {
            expect(() => pollWait(pd, op.m)).toThrow(UsageError);
            break;
          }
          if (typeof md.g[op.m] === "number") {
            // A second wait in one mode is refused; the first stays parked.
            await expect(Promise.resolve().then(() => pollWait(pd, op.m))).rejects.toThrow(UsageError);
            break;
          }
          const id = waiters.length;
          const w: Waiter = { expected: "parked", got: "parked", ends: 0 };
          waiters.push(w);
          void pollWait(pd, op.m).then((code) => {
            w.got = code;
            w.ends++;
          });
          if (md.closing) end(id, PollCode.Closing);
          else if (md.expired[op.m]) end(id, PollCode.Timeout);
          else if (md.g[op.m] === "ready") {
            md.g[op.m] = "nil";
            end(id, PollCode.None);
          } else md.g[op.m] = id;
          break;
        }
        case "ready": {
          if (md.freed) break; // the kernel has forgotten it; injected stale events are below
          const modes: Mode[] = op.m === "rw" ? ["r", "w"] : [op.m];
          ready(pd.slot, pd.gen, op.m === "rw" ? modeRW : op.m === "r" ? modeR : modeW, false, false);
          for (const m of modes) {
            // Go's netpollunblock(ioready): a parked waiter is woken (and consumes the readiness); else it is kept.
            if (typeof md.g[m] === "number") {
              // The woken waiter rechecks errors: an expired deadline or closing still wins.
              const code = md.closing ? PollCode.Closing : md.expired[m] ? PollCode.Timeout : PollCode.None;
              wake(md, m, code);
            } else md.g[m] = "ready";
          }
          break;
        }
        case "deadline": {
          if (md.freed) {
            expect(() => pollSetDeadline(pd, -1, op.m)).toThrow(UsageError);
            break;
          }
          const d = op.when === "past" ? -1 : op.when === "clear" ? 0 : 1e12;
          pollSetDeadline(pd, d, op.m);
          if (md.closing) break; // Go: a closing pd ignores deadlines
          const modes: Mode[] = op.m === "rw" ? ["r", "w"] : [op.m];
          for (const m of modes) {
            md.expired[m] = op.when === "past";
            if (op.when === "past") wake(md, m, PollCode.Timeout);
          }
          break;
        }
        case "reset": {
          if (md.freed) {
            expect(() => pollReset(pd, op.m)).toThrow(UsageError);
            break;
          }
          const want = md.closing ? PollCode.Closing : md.expired[op.m] ? PollCode.Timeout : PollCode.None;
          if (want === PollCode.None && typeof md.g[op.m] === "number") {
            // Go assumes nobody is parked (its callers hold fdMutex); here it is checked.
            expect(() => pollReset(pd, op.m)).toThrow(UsageError);
            break;
          }
          expect(pollReset(pd, op.m)).toBe(want);
          if (want === PollCode.None && md.g[op.m] === "ready") md.g[op.m] = "nil";
          break;
        }
        case "unblock": {
          if (md.freed || md.closing) {
            expect(() => pollUnblock(pd)).toThrow(UsageError);
            break;
          }
          pollUnblock(pd);
          md.closing = true;
          wake(md, "r", PollCode.Closing);
          wake(md, "w", PollCode.Closing);
          break;
        }
        case "close": {
          if (md.freed || !md.closing) {
            expect(() => pollClose(pd)).toThrow(UsageError);
            break;
          }
          pollClose(pd);
          md.freed = true;
          stale.push({ slot: pd.slot, gen: pd.gen });
          closeAll(...fds[op.i]!);
          break;
        }
        case "reopen": {
          if (!md.freed) break;
          open(op.i);
          // Every event ever tagged for a closed pollDesc, delivered now, reaches nobody.
          for (const s of stale) ready(s.slot, s.gen, modeRW, true, true);
          break;
        }
      }
      await flush();
      for (const w of waiters) {
        expect(w.ends).toBeLessThanOrEqual(1);
        expect(w.got).toBe(w.expected);
      }
      const parked = models.reduce(
        (n, md) => n + (typeof md.g.r === "number" ? 1 : 0) + (typeof md.g.w === "number" ? 1 : 0),
        0,
      );
      expect(netpollStats().waiters - base).toBe(parked);
    }
  } finally {
    for (let i = 0; i < N; i++) {
      if (models[i]!.freed) continue;
      if (!models[i]!.closing) pollUnblock(pds[i]!);
      pollClose(pds[i]!);
      closeAll(...fds[i]!);
    }
    await flush();
  }
}

describe("pollDesc state machine against a model of Go's rules", () => {
  test("300 random runs of 10 to 40 operations on 3 pollDescs: every waiter ends once, as the model says", async () => {
    steps = 0;
    await fc.assert(fc.asyncProperty(fc.array(arbOp, { minLength: 10, maxLength: 40, size: "max" }), run), {
      numRuns: 300,
      seed: 20261122,
    });
    expect(steps).toBeGreaterThan(3000);
    expect(netpollStats().waiters).toBe(0);
  });
});
