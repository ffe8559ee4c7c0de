/**
 * fd-reuse storm: lanes that each open a connection, pass a token, leave
 * bytes and a parked read in flight, and close, thousands of times. The
 * kernel hands the freed descriptor numbers straight to the next lane, so
 * events queued for the old connection (in the kernel, in the poller
 * thread's buffer) meet a new pollDesc on the same fd: the generation tag
 * must drop them. Any byte a lane reads that is not its own token is
 * cross-talk.
 *
 * @module
 */
import { type Conn, ErrClosing, ErrnoError } from "../src/mod.ts";
import { closeQuietly, loopbackListener, pairOn, readFull } from "./pair.ts";
import { Rng } from "./prng.ts";
import { describe, Recorder, type Report, turn } from "./report.ts";

/** How big a run. */
export interface FdReuseOptions {
  lanes: number;
  cyclesPerLane: number;
  seed: number;
}

function token(lane: number, cycle: number): Uint8Array {
  const t = new Uint8Array(8);
  new DataView(t.buffer).setUint32(0, lane);
  new DataView(t.buffer).setUint32(4, cycle);
  return t;
}

/** Runs the storm; see the module doc. */
export async function fdReuse(o: FdReuseOptions): Promise<Report> {
  const rec = new Recorder("fd-reuse");
  const seen = new Set<number>();
  const listeners = [loopbackListener("tcp"), loopbackListener("unix")];

  async function readToken(c: Conn, want: Uint8Array, where: string): Promise<void> {
    const got = new Uint8Array(8);
    await readFull(c, got, where);
    if (got.some((b, i) => b !== want[i])) {
      rec.add("crossTalk");
      rec.problem(`${where}: read token ${got.join(",")}, expected ${want.join(",")}`);
    } else rec.add("tokensVerified");
  }

  async function lane(id: number): Promise<void> {
    const rng = new Rng(o.seed * 7919 + id);
    for (let cycle = 0; cycle < o.cyclesPerLane; cycle++) {
      const [a, b] = await pairOn(listeners[rng.u32() % 2]!);
      for (const c of [a, b]) {
        if (seen.has(c.fd)) rec.add("fdNumbersReused");
        seen.add(c.fd);
      }
      const t = token(id, cycle);
      await a.write(t);
      // A parked read on `a` and bytes in flight toward it when it closes.
      const back = new Uint8Array(64);
      const parked = a.read(back);
      // Load shaping, not synchronisation: sometimes let the main thread go
      // idle so the wait moves to the poller thread and its events are in
      // the thread's buffer when the descriptor closes and is reused.
      if (rng.chance(0.4)) await new Promise((r) => setTimeout(r, 1));
      else if (rng.chance(0.5)) await turn();
      await readToken(b, t, `lane ${id} cycle ${cycle}`);
      await b.write(t);
      // Close now or after the echo: either way the parked read ends once,
      // with this cycle's token or with ErrClosing, never another lane's bytes.
      if (rng.chance(0.5)) a.close();
      await parked.then(
        (n) => {
          const own = n === 8 && t.every((x, i) => back[i] === x);
          if (own) rec.add("tokensVerified");
          else {
            rec.add("crossTalk");
            rec.problem(`lane ${id} cycle ${cycle}: parked read got ${n} bytes ${back.subarray(0, 8).join(",")}`);
          }
        },
        (e) => {
          if (e instanceof ErrClosing) rec.add("parkedReadsClosed");
          else rec.problem(`lane ${id} cycle ${cycle}: parked read: ${describe(e)}`);
        },
      );
      closeQuietly(a);
      if (rng.chance(0.3)) {
        await b.write(new Uint8Array(rng.int(1, 4096))).catch((e) => {
          // The peer is gone: EPIPE or ECONNRESET is the right answer.
          if (!(e instanceof ErrnoError)) throw e;
          rec.add("writesToClosedPeer");
        });
      }
      closeQuietly(b);
      rec.add("cycles");
    }
  }

  try {
    await Promise.all(Array.from({ length: o.lanes }, (_, i) => lane(i)));
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    for (const l of listeners) l.close();
  }
  rec.figures.distinctFdNumbers = seen.size;
  rec.check((rec.figures.crossTalk ?? 0) === 0, "cross-talk between reused descriptors");
  return rec.finish();
}
