/**
 * A small self-contained echo workload over TCP and Unix pairs: random-sized
 * messages, byte-checked, plus one read that waits out a deadline so the
 * poller thread is used. The unit of work the Workers scenario runs in
 * every isolate at once.
 *
 * @module
 */
import { type Conn, ErrDeadlineExceeded } from "../src/mod.ts";
import { closeQuietly, loopbackListener, pairOn, readFull } from "./pair.ts";
import { messageSize, Rng } from "./prng.ts";
import type { Recorder } from "./report.ts";

/** How much work. */
export interface EchoPairsOptions {
  pairs: number;
  messages: number;
  seed: number;
}

/** Runs the workload, recording into `rec`: messages and bytes verified, deadlines met. */
export async function echoPairs(rec: Recorder, o: EchoPairsOptions): Promise<void> {
  const listeners = [loopbackListener("tcp"), loopbackListener("unix")];
  const pairs: [Conn, Conn][] = [];
  try {
    for (let i = 0; i < o.pairs; i++) pairs.push(await pairOn(listeners[i % 2]!));
    await Promise.all(pairs.map(async ([a, b], i) => {
      const rng = new Rng(o.seed * 31 + i);
      const echo = (async () => {
        const buf = new Uint8Array(16384);
        for (;;) {
          const n = await b.read(buf);
          if (n === null) return;
          await b.write(buf.subarray(0, n));
        }
      })();
      for (let m = 0; m < o.messages; m++) {
        const msg = rng.fill(new Uint8Array(messageSize(rng, 65536)));
        const back = new Uint8Array(msg.length);
        await Promise.all([a.write(msg), readFull(a, back)]);
        if (back.every((x, k) => x === msg[k])) rec.add("bytesVerified", msg.length);
        else rec.problem(`pair ${i} message ${m}: bytes differ`);
        rec.add("messages");
      }
      a.setReadDeadline(Date.now() + 5);
      await a.read(new Uint8Array(1)).then(
        () => rec.problem(`pair ${i}: read with nothing sent returned`),
        (e) => (e instanceof ErrDeadlineExceeded ? rec.add("deadlinesMet") : rec.problem(`pair ${i}: ${e}`)),
      );
      a.setReadDeadline(null);
      await a.closeWrite();
      await echo;
    }));
  } finally {
    for (const [a, b] of pairs) closeQuietly(a), closeQuietly(b);
    for (const l of listeners) l.close();
    await Promise.all(pairs.flatMap(([a, b]) => [a.closed, b.closed]));
  }
}
