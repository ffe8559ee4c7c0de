/**
 * Peer faults: a peer that resets the connection mid-write, one that
 * half-closes, one that never reads, one that reads slowly. Each must end
 * the way the peer's behaviour says, with every byte accounted for.
 *
 * @module
 */
import process from "node:process";
import { ErrDeadlineExceeded, ErrnoError } from "../src/mod.ts";
import { loopbackListener, pairOn } from "./pair.ts";
import { checkStream, fillStream } from "./prng.ts";
import { describe, Recorder, type Report, turn } from "./report.ts";

/** How big a run. */
export interface PeerFaultsOptions {
  /** Times each fault is played. */
  rounds: number;
  /** Bytes the slow reader takes. */
  slowBytes: number;
}

/** Runs the scenario; see the module doc. */
export async function peerFaults(o: PeerFaultsOptions): Promise<Report> {
  const rec = new Recorder("peer-faults");
  const l = loopbackListener("tcp");
  const big = new Uint8Array(32 << 20);
  try {
    for (let round = 0; round < o.rounds; round++) {
      // 1. Reset mid-write: the peer reads a little, then closes with data
      // unread, which makes the kernel send RST. The write fails with the
      // peer's error and says how much went out.
      {
        const [a, b] = await pairOn(l);
        const writing = a.write(big);
        await b.read(new Uint8Array(65536));
        b.close();
        await writing.then(
          () => rec.problem("write of 32 MiB to a reset peer succeeded"),
          (e) => {
            if (e instanceof ErrnoError && (e.code === "ECONNRESET" || e.code === "EPIPE")) {
              rec.add(`reset.${e.code}`);
              rec.check(e.bytesWritten > 0 && e.bytesWritten < big.length, `reset: bytesWritten ${e.bytesWritten}`);
            } else rec.problem(`reset: ${describe(e)}`);
          },
        );
        const after = await a.read(new Uint8Array(16)).catch((e) => e);
        rec.check(after === null || (after instanceof ErrnoError && after.code === "ECONNRESET"), "read after RST");
        a.close();
      }
      // 2. Half-close: a shuts its sending side; b reads to end of stream and
      // still answers; a reads the answer.
      {
        const [a, b] = await pairOn(l);
        const msg = fillStream(round, 0, new Uint8Array(100_000));
        await a.write(msg);
        await a.closeWrite();
        const got = new Uint8Array(msg.length + 1); // room to see end of stream
        let n = 0;
        for (;;) {
          const r = await b.read(got.subarray(n));
          if (r === null) break;
          n += r;
        }
        rec.check(
          n === msg.length && checkStream(round, 0, got.subarray(0, n)) < 0,
          `half-close: got ${n} of ${msg.length}`,
        );
        await b.write(got.subarray(0, n));
        b.close();
        const echo = new Uint8Array(msg.length + 1);
        let m = 0;
        for (;;) {
          const r = await a.read(echo.subarray(m));
          if (r === null) break;
          m += r;
        }
        rec.check(m === msg.length && checkStream(round, 0, echo.subarray(0, m)) < 0, `half-close answer: got ${m}`);
        rec.add("halfCloses");
        a.close();
      }
      // 3. A peer that never reads: the write parks once the kernel's buffers
      // are full (nothing is queued in the library), and the write deadline
      // ends it with the count of bytes the kernel took.
      {
        const [a, b] = await pairOn(l);
        const rss0 = process.memoryUsage().rss;
        a.setWriteDeadline(Date.now() + 100);
        await a.write(big).then(
          () => rec.problem("write of 32 MiB to a peer that never reads succeeded"),
          (e) => {
            if (!(e instanceof ErrDeadlineExceeded)) return rec.problem(`never-reads: ${describe(e)}`);
            rec.max("neverReads.kernelBytesTaken", e.bytesWritten);
            rec.check(e.bytesWritten < big.length, "never-reads: all 32 MiB went out");
          },
        );
        rec.max("neverReads.rssGrowthBytes", process.memoryUsage().rss - rss0);
        // The connection still reads after the write timed out.
        await b.write(new Uint8Array([1]));
        rec.check((await a.read(new Uint8Array(1))) === 1, "never-reads: conn no longer reads");
        rec.add("neverReads");
        a.close();
        b.close();
      }
      // 4. A slow reader: small reads with a turn of the event loop between
      // them; the one big write completes and every byte is right.
      {
        const [a, b] = await pairOn(l);
        const data = fillStream(round + 1000, 0, new Uint8Array(o.slowBytes));
        const writing = a.write(data);
        const chunk = new Uint8Array(1000);
        let pos = 0;
        while (pos < data.length) {
          const r = await b.read(chunk);
          if (r === null) throw new Error("slow reader: end of stream");
          if (checkStream(round + 1000, pos, chunk.subarray(0, r)) >= 0) throw new Error("slow reader: wrong byte");
          pos += r;
          await turn();
        }
        rec.check((await writing) === data.length, "slow reader: write did not complete");
        rec.add("slowReaderBytes", pos);
        a.close();
        b.close();
      }
    }
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    l.close();
  }
  return rec.finish();
}
