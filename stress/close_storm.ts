/**
 * Close-during-I/O storm: connections with a read and a large write parked
 * or in flight on both ends, closed from either side at a random moment.
 * Every operation must end exactly once, with data, end of stream,
 * ErrClosing, or the peer's EPIPE/ECONNRESET, and nothing may hang or leak.
 *
 * @module
 */
import { type Conn, ErrClosing, ErrnoError } from "../src/mod.ts";
import { closeQuietly, loopbackListener, pairOn } from "./pair.ts";
import { Rng } from "./prng.ts";
import { describe, Recorder, type Report, turn, within } from "./report.ts";

/** How big a run. */
export interface CloseStormOptions {
  pairs: number;
  /** Pairs in flight at once. */
  concurrency: number;
  seed: number;
}

/** Runs the storm; see the module doc. */
export async function closeStorm(o: CloseStormOptions): Promise<Report> {
  const rec = new Recorder("close-storm");
  const l = loopbackListener("tcp");
  const big = new Uint8Array(4 << 20); // larger than loopback's socket buffers: the write parks

  // How an operation ended; anything else is a problem.
  function outcome(op: string, closedHere: boolean) {
    return [
      () => rec.add(`${op}.completed`),
      (e: unknown) => {
        if (e instanceof ErrClosing && closedHere) rec.add(`${op}.ErrClosing`);
        else if (e instanceof ErrnoError && (e.code === "EPIPE" || e.code === "ECONNRESET")) rec.add(`${op}.${e.code}`);
        else rec.problem(`${op}: ${describe(e)}`);
      },
    ] as const;
  }

  async function one(rng: Rng): Promise<void> {
    const [a, b] = await pairOn(l);
    const ops: Promise<unknown>[] = [];
    const closedHere = new Set<Conn>();
    for (const c of [a, b]) {
      const [ok, bad] = outcome("read", true);
      ops.push(
        c.read(new Uint8Array(1024)).then(ok, (e) => {
          if (!closedHere.has(c) && e instanceof ErrClosing) rec.problem("read: ErrClosing on an end not closed");
          else bad(e);
        }),
      );
      if (rng.chance(0.5)) {
        const [wok, wbad] = outcome("write", true);
        ops.push(c.write(big.subarray(0, rng.int(1, big.length))).then(wok, wbad));
      }
    }
    // A random number of event-loop turns, then close one end, then the other.
    for (let i = rng.int(0, 3); i > 0; i--) await turn();
    const first = rng.chance(0.5) ? a : b;
    const second = first === a ? b : a;
    closedHere.add(first);
    first.close();
    rec.add("closes");
    if (rng.chance(0.5)) await turn();
    closedHere.add(second);
    closeQuietly(second);
    rec.add("closes");
    await within("operations of a closed pair", 10_000, Promise.all(ops));
    await within("close of both ends", 10_000, Promise.all([a.closed, b.closed]));
    rec.add("pairs");
  }

  try {
    const rng = new Rng(o.seed);
    let next = 0;
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (next < o.pairs) {
        next++;
        await one(new Rng(rng.u32()));
      }
    }));
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    l.close();
  }
  return rec.finish();
}
