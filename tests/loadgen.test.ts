// The benchmark's load generator is an instrument: prove it measures an
// honest echo server and refuses a dishonest one (a flipped byte, a hang-up).
// The servers run in this process on this library, so this runs on both runtimes.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type Conn, listen, type NetAddr } from "../src/mod.ts";

const dir = mkdtempSync(join(tmpdir(), "netpoll-loadgen-"));
const loadgen = join(dir, "loadgen");
const cc = spawnSync("gcc", ["-O2", "-o", loadgen, new URL("../bench/loadgen.c", import.meta.url).pathname], {
  encoding: "utf8",
});

function run(argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(loadgen, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const limit = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (code) => {
      clearTimeout(limit);
      resolve({ code, out, err });
    });
  });
}

/** The load generator's command line: --port, then each option as --name value. */
function args(port: number, opts: Record<string, number>): string[] {
  return ["--port", String(port), ...Object.entries(opts).flatMap(([k, v]) => [`--${k}`, String(v)])];
}

/** An echo server whose per-connection handler may misbehave. */
function server(handle: (c: Conn, buf: Uint8Array, n: number, total: number) => Promise<boolean>) {
  const l = listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of l) {
      (async () => {
        const buf = new Uint8Array(65536);
        let total = 0;
        try {
          for (let n; (n = await c.read(buf)) !== null;) {
            if (!(await handle(c, buf, n, total))) break;
            total += n;
          }
        } catch { /* the load generator left */ }
        try {
          c.close();
        } catch { /* closed */ }
      })();
    }
  })();
  return { port: (l.addr as NetAddr).port, close: () => l.close() };
}

describe("load generator", () => {
  test("builds with gcc", () => {
    expect(cc.stderr).toBe("");
    expect(cc.status).toBe(0);
  });

  test("measures an honest echo server: every connection completes round trips, byte-exact", async () => {
    const s = server(async (c, buf, n) => (await c.write(buf.subarray(0, n)), true));
    const r = await run(args(s.port, { conns: 8, size: 1000, depth: 2, warmup: 0.1, duration: 0.4 }));
    s.close();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { roundTrips: number; minPerConn: number; stalled: number; p50us: number };
    expect(j.roundTrips).toBeGreaterThan(0);
    expect(j.minPerConn).toBeGreaterThan(0);
    expect(j.stalled).toBe(0);
    expect(j.p50us).toBeGreaterThan(0);
  });

  test("refuses a server that flips one byte, naming the offset", async () => {
    const s = server(async (c, buf, n, total) => {
      if (total <= 5000 && total + n > 5000) buf[5000 - total]! ^= 0x40;
      await c.write(buf.subarray(0, n));
      return true;
    });
    const r = await run(args(s.port, { conns: 1, size: 4096, warmup: 0.1, duration: 0.3 }));
    s.close();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^loadgen: wrong byte at offset 5000 of connection 0/);
  });

  test("refuses a server that hangs up", async () => {
    const s = server(() => Promise.resolve(false));
    const r = await run(args(s.port, { conns: 2, size: 64, warmup: 0.1, duration: 0.3 }));
    s.close();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/loadgen: the server closed the connection/);
  });

  test("--idle opens more connections than one connect batch, each with a round trip, and holds them till stdin closes", async () => {
    // loadgen.c opens CONNECT_BATCH (256) at a time: 300 takes a full batch and a partial one.
    let echoed = 0;
    const s = server(async (c, buf, n, total) => {
      if (total === 0) echoed++;
      await c.write(buf.subarray(0, n));
      return true;
    });
    const child = spawn(loadgen, args(s.port, { idle: 300 }), { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const limit = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve();
      });
      child.on("close", () => resolve());
    });
    expect(out).toBe("IDLE_READY 300\n");
    expect(echoed).toBe(300);
    expect(child.exitCode).toBe(null); // still holding them
    const code = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.end();
    expect(await code).toBe(0);
    clearTimeout(limit);
    s.close();
    expect(err).toBe("");
  });

  test("connections opened in the first batch send nothing more until every batch is open, then all run", async () => {
    // 300 connections = a full CONNECT_BATCH (256) and a partial one. A connection's first messages (--depth of them)
    // are all it may send before the 300th connection has been heard from; the held ones are then released.
    const conns = 300, size = 64, depth = 2;
    let heardFrom = 0;
    let mostBeforeAllOpen = 0;
    const s = server(async (c, buf, n, total) => {
      if (total === 0) heardFrom++;
      if (heardFrom < conns) mostBeforeAllOpen = Math.max(mostBeforeAllOpen, total + n);
      await c.write(buf.subarray(0, n));
      return true;
    });
    const r = await run(args(s.port, { conns, size, depth, warmup: 0.1, duration: 0.4 }));
    s.close();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(heardFrom).toBe(conns);
    expect(mostBeforeAllOpen).toBeGreaterThan(0);
    expect(mostBeforeAllOpen).toBeLessThanOrEqual(size * depth);
    const j = JSON.parse(r.out) as { minPerConn: number; stalled: number };
    expect(j.minPerConn).toBeGreaterThan(0);
    expect(j.stalled).toBe(0);
  });

  test("reports a connection the server starves as stalled (exit 3)", async () => {
    // Echoes connection 0 only once; the others normally.
    let first = true;
    const s = server(async (c, buf, n) => {
      if (first) {
        first = false;
        await c.write(buf.subarray(0, n));
        return new Promise<boolean>(() => {}); // then never again
      }
      await c.write(buf.subarray(0, n));
      return true;
    });
    const r = await run(args(s.port, { conns: 3, size: 64, warmup: 0.1, duration: 0.6, stall: 0.3 }));
    s.close();
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/loadgen: 1 of 3 connections stalled/);
    expect(JSON.parse(r.out).stalled).toBe(1);
  });
});
