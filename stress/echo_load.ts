/**
 * Many connections held at once, each exchanging random-sized messages of
 * random bytes with an echo server for a fixed time; every byte checked.
 * The server runs here, the clients in a second process on the same runtime
 * (echo_client.ts), so each side has its own descriptor limit and CPU.
 *
 * @module
 */
import type { Conn } from "../src/mod.ts";
import { runChild } from "./child.ts";
import type { ClientArgs, ClientResult } from "./echo_client.ts";
import { loopbackListener } from "./pair.ts";
import { describe, Recorder, type Report } from "./report.ts";

/** How big a run. */
export interface EchoLoadOptions {
  conns: number;
  seconds: number;
  seed: number;
  /** Largest message, bytes. */
  maxMessage: number;
  /** Called about once a second with a progress line. */
  progress?: (line: string) => void;
}

/** Runs the echo load; see the module doc. */
export async function echoLoad(o: EchoLoadOptions): Promise<Report> {
  const rec = new Recorder("echo-load");
  const l = loopbackListener("tcp");
  const port = l.addr.transport === "tcp" ? l.addr.port : 0;
  let open = 0;
  let accepted = 0;
  let bytesEchoed = 0;
  const serving: Promise<void>[] = [];

  async function serve(c: Conn): Promise<void> {
    const buf = new Uint8Array(8192);
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        await c.write(buf.subarray(0, n));
        bytesEchoed += n;
      }
    } catch (e) {
      rec.problem(`server conn: ${describe(e)}`);
    } finally {
      c.close();
      open--;
    }
  }

  const accepting = (async () => {
    while (accepted < o.conns) {
      const c = await l.accept();
      accepted++;
      open++;
      rec.max("heldAtOnce", open);
      serving.push(serve(c));
    }
  })().catch((e) => rec.problem(`accept: ${describe(e)}`));

  const ticker = o.progress && setInterval(() => {
    o.progress!(`echo-load: ${open} conns open, ${accepted} accepted, ${(bytesEchoed / 1e6).toFixed(1)} MB echoed`);
  }, 1000);
  try {
    const args: ClientArgs = { port, conns: o.conns, seconds: o.seconds, seed: o.seed, maxMessage: o.maxMessage };
    const r = await runChild<ClientResult>("./echo_client.ts", [JSON.stringify(args)], o.seconds * 1000 + 120_000);
    // The client closed every conn; the server ends its loops on end of stream.
    if (accepted < o.conns) l.close(); // unblocks the accept loop after a client-side failure
    await accepting;
    await Promise.all(serving);
    rec.figures.connections = r.connected;
    rec.figures.connectMs = r.connectMs;
    rec.figures.messages = r.messages;
    rec.figures.bytesSent = r.bytesSent;
    rec.figures.bytesVerified = r.bytesVerified;
    rec.figures.bytesEchoedByServer = bytesEchoed;
    rec.figures.bytesLost = r.bytesSent - r.bytesVerified;
    rec.figures.mismatches = r.mismatches;
    rec.figures.stuck = r.stuck;
    for (const e of r.errors) rec.problem(`client: ${e}`);
    rec.check(r.connected === o.conns, `only ${r.connected} of ${o.conns} connected`);
    rec.check(r.mismatches === 0, `${r.mismatches} messages came back different`);
    rec.check(r.stuck === 0, `${r.stuck} connections stuck`);
    rec.check(r.bytesSent === r.bytesVerified, `${r.bytesSent - r.bytesVerified} bytes lost or wrong`);
    rec.check(bytesEchoed === r.bytesSent, `server echoed ${bytesEchoed} bytes, client sent ${r.bytesSent}`);
    rec.check((rec.figures.heldAtOnce ?? 0) === o.conns, `server held ${rec.figures.heldAtOnce} at once`);
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    if (ticker) clearInterval(ticker);
    if (accepted >= o.conns) l.close();
  }
  return rec.finish();
}
