/**
 * EMFILE: with the descriptor table full, accept, connect and listen fail
 * with ErrnoError EMFILE naming the call; the listener, the connections
 * already open and the poller keep working; once descriptors are freed the
 * connections that queued in the backlog meanwhile are accepted and carry
 * data. The limit is lowered with setrlimit for the scenario only.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import { type Conn, connect, ErrDeadlineExceeded, ErrnoError, listen } from "../src/mod.ts";
import { errnoCell, ffi, libc, profile } from "../src/ffi/libc.ts";
import { closeQuietly, loopbackListener, pairOn } from "./pair.ts";
import { describe, Recorder, type Report } from "./report.ts";

/** How big a run. */
export interface EmfileOptions {
  /** Connections that queue in the backlog while the table is full. */
  queued: number;
}

// getrlimit/setrlimit(2); RLIMIT_NOFILE is 7 on Linux, struct rlimit is two u64.
const RLIMIT_NOFILE = 7;
const rl = ffi.open(profile.libc, {
  getrlimit: { args: ["i32", "buf"], ret: "i32" },
  setrlimit: { args: ["i32", "buf"], ret: "i32" },
});
const devNull = new TextEncoder().encode("/dev/null\0");

/** Runs the scenario; see the module doc. */
export async function emfile(o: EmfileOptions): Promise<Report> {
  const rec = new Recorder("emfile");
  const saved = new BigUint64Array(2);
  if (rl.getrlimit(RLIMIT_NOFILE, saved) < 0) throw new ErrnoError("getrlimit", errnoCell[0]!);
  const l = loopbackListener("tcp");
  const port = l.addr.transport === "tcp" ? l.addr.port : 0;
  const [x, y] = await pairOn(l);
  const queued: Conn[] = [];
  const fillers: number[] = [];
  let limited = false;
  try {
    for (let i = 0; i < o.queued; i++) queued.push(await connect({ hostname: "127.0.0.1", port }));
    // Lower the soft limit to just above the highest descriptor, then fill every hole below it.
    const highest = Math.max(...readdirSync("/proc/self/fd").map(Number));
    const lowered = new BigUint64Array([BigInt(highest + 1), saved[1]!]);
    if (rl.setrlimit(RLIMIT_NOFILE, lowered) < 0) throw new ErrnoError("setrlimit", errnoCell[0]!);
    limited = true;
    for (;;) {
      const fd = libc.open(devNull, profile.file.O_CLOEXEC); // O_RDONLY is 0
      if (fd >= 0) {
        fillers.push(fd);
        continue;
      }
      const e = errnoCell[0]!;
      if (e !== profile.errno.EMFILE) throw new ErrnoError("open", e, "filling the descriptor table");
      break;
    }
    rec.figures.fillerDescriptors = fillers.length;

    const expectEmfile = async (call: string, what: () => unknown) => {
      try {
        await what();
        rec.problem(`${call} succeeded with the descriptor table full`);
      } catch (e) {
        if (e instanceof ErrnoError && e.code === "EMFILE" && e.message.startsWith(`${call}: EMFILE`)) {
          rec.add("emfileErrors");
        } else rec.problem(`${call} with the table full: ${describe(e)}`);
      }
    };
    for (let i = 0; i < 3; i++) await expectEmfile("accept4", () => l.accept());
    await expectEmfile("socket", () => connect({ hostname: "127.0.0.1", port }));
    await expectEmfile("socket", () => listen({ hostname: "127.0.0.1", port: 0 }));

    // The poller and an open connection work while the table is full.
    await x.write(new Uint8Array([42]));
    const one = new Uint8Array(1);
    rec.check((await y.read(one)) === 1 && one[0] === 42, "round trip at the limit");
    y.setReadDeadline(Date.now() + 20);
    await y.read(one).then(
      () => rec.problem("read with nothing sent returned at the limit"),
      (e) => rec.check(e instanceof ErrDeadlineExceeded, `deadline at the limit: ${describe(e)}`),
    );
    y.setReadDeadline(null);
    rec.add("worksAtLimit");
  } catch (e) {
    rec.problem(describe(e));
  } finally {
    for (const fd of fillers) libc.close(fd);
    if (limited && rl.setrlimit(RLIMIT_NOFILE, saved) < 0) rec.problem("could not restore RLIMIT_NOFILE");
  }

  // Recovery: every connection that queued meanwhile is accepted and echoes.
  try {
    for (const c of queued) {
      const s = await l.accept();
      const msg = new Uint8Array([7, 8, 9]);
      await c.write(msg);
      const got = new Uint8Array(3);
      let n = 0;
      while (n < 3) n += (await s.read(got.subarray(n))) ?? 3;
      rec.check(got.every((b, i) => b === msg[i]), "queued connection carried the wrong bytes");
      rec.add("acceptedAfterRecovery");
      s.close();
    }
  } catch (e) {
    rec.problem(`after recovery: ${describe(e)}`);
  } finally {
    for (const c of [...queued, x, y]) closeQuietly(c);
    l.close();
  }
  rec.check(rec.figures.acceptedAfterRecovery === o.queued, "not every queued connection was accepted");
  return rec.finish();
}
