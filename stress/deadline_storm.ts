/**
 * Deadline storm: streams flowing in both directions on a few connections
 * while their read and write deadlines are reset again and again (future,
 * past, cleared), so timers fire, are cancelled and are re-armed under
 * parked operations. A timed-out read is retried; a timed-out write resumes
 * from its `bytesWritten`. Every byte must arrive once and in order.
 *
 * @module
 */
import { type Conn, ErrDeadlineExceeded } from "../src/mod.ts";
import { closeQuietly, loopbackListener, pairOn } from "./pair.ts";
import { checkStream, fillStream, Rng } from "./prng.ts";
import { describe, Recorder, type Report, turn } from "./report.ts";

/** How big a run. */
export interface DeadlineStormOptions {
  conns: number;
  /** Deadline resets in all. */
  resets: number;
  /** Bytes each direction of each connection carries. */
  bytesPerStream: number;
  seed: number;
}

/** Runs the storm; see the module doc. */
export async function deadlineStorm(o: DeadlineStormOptions): Promise<Report> {
  const rec = new Recorder("deadline-storm");
  const l = loopbackListener("tcp");
  let resetting = true;

  async function send(c: Conn, lane: number, rng: Rng): Promise<void> {
    let pos = 0;
    while (pos < o.bytesPerStream) {
      const chunk = fillStream(lane, pos, new Uint8Array(Math.min(rng.int(1, 256 << 10), o.bytesPerStream - pos)));
      let off = 0;
      while (off < chunk.length) {
        try {
          await c.write(off === 0 ? chunk : chunk.subarray(off));
          off = chunk.length;
        } catch (e) {
          if (!(e instanceof ErrDeadlineExceeded)) throw e;
          off += e.bytesWritten; // resume where the kernel stopped taking bytes
          rec.add("writeTimeouts");
          if (e.bytesWritten > 0) rec.add("partialWritesResumed");
          await turn(); // the deadline may still be past: let the resetter move it
        }
      }
      pos += chunk.length;
    }
  }

  async function receive(c: Conn, lane: number): Promise<void> {
    const buf = new Uint8Array(64 << 10);
    let pos = 0;
    while (pos < o.bytesPerStream) {
      let n: number | null;
      try {
        n = await c.read(buf.subarray(0, Math.min(buf.length, o.bytesPerStream - pos)));
      } catch (e) {
        if (!(e instanceof ErrDeadlineExceeded)) throw e;
        rec.add("readTimeouts");
        await turn();
        continue;
      }
      if (n === null) throw new Error(`lane ${lane}: end of stream at ${pos} of ${o.bytesPerStream}`);
      const bad = checkStream(lane, pos, buf.subarray(0, n));
      if (bad >= 0) throw new Error(`lane ${lane}: wrong byte at stream position ${bad}`);
      pos += n;
      rec.add("bytesVerified", n);
    }
  }

  async function resetter(conns: Conn[], rng: Rng): Promise<void> {
    for (let i = 0; i < o.resets; i++) {
      const c = conns[rng.u32() % conns.length]!;
      const r = rng.u32() % 100;
      // Mostly future deadlines 0-20 ms out (armed, moved, often fired),
      // some in the past (expire at once), some cleared.
      const t = r < 70 ? Date.now() + rng.int(0, 20) : r < 85 ? Date.now() - 1 : null;
      const which = rng.u32() % 3;
      if (which === 0) c.setReadDeadline(t);
      else if (which === 1) c.setWriteDeadline(t);
      else c.setDeadline(t);
      rec.add("deadlineResets");
      if (i % 64 === 63) await turn(); // let data flow between bursts of resets
    }
    for (const c of conns) c.setDeadline(null);
    resetting = false;
  }

  const conns: Conn[] = [];
  try {
    const rng = new Rng(o.seed);
    const pairs = await Promise.all(Array.from({ length: o.conns }, () => pairOn(l)));
    for (const [a, b] of pairs) conns.push(a, b);
    const flows = pairs.flatMap(([a, b], i) => [
      send(a, 2 * i, new Rng(rng.u32())),
      receive(b, 2 * i),
      send(b, 2 * i + 1, new Rng(rng.u32())),
      receive(a, 2 * i + 1),
    ]);
    await Promise.all([resetter(conns, new Rng(rng.u32())), ...flows]);
    rec.check(!resetting, "resetter did not finish");
    const expected = 2 * o.conns * o.bytesPerStream;
    rec.figures.bytesExpected = expected;
    rec.figures.bytesLost = expected - (rec.figures.bytesVerified ?? 0);
    rec.check(rec.figures.bytesLost === 0, `${rec.figures.bytesLost} bytes lost`);
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    for (const c of conns) closeQuietly(c);
    l.close();
    await Promise.all(conns.map((c) => c.closed));
  }
  return rec.finish();
}
