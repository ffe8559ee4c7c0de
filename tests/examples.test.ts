// Every program in examples/ runs as a user would run it, on this runtime,
// and says what the README says it says.
import { spawn } from "node:child_process";
import process from "node:process";
import { describe, expect, test } from "vitest";
import { connect } from "../src/mod.ts";
import { runtime } from "./helpers.ts";

function start(name: string, args: string[] = []) {
  const script = new URL(`../examples/${name}`, import.meta.url).pathname;
  const argv = runtime === "bun" ? [script, ...args] : ["run", "--allow-ffi", script, ...args];
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const limit = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(limit);
      resolve({ code, out, err });
    })
  );
  return { child, exited, output: () => out };
}

describe("examples", () => {
  test("echo_server.ts echoes, and drops nothing", async () => {
    const ex = start("echo_server.ts", ["0"]);
    let port = 0;
    for (let i = 0; i < 2000 && port === 0; i++) {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(ex.output());
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(port).toBeGreaterThan(0);
    const c = await connect({ port });
    await c.write(new TextEncoder().encode("hello"));
    const buf = new Uint8Array(16);
    const n = await c.read(buf);
    expect(new TextDecoder().decode(buf.subarray(0, n!))).toBe("hello");
    await c.closeWrite();
    expect(await c.read(buf)).toBeNull(); // the server closed after our EOF
    c.close();
    ex.child.kill();
    await ex.exited;
  });

  test("deadlines.ts: read and write deadlines, then an aborted read, then data", async () => {
    const r = await start("deadlines.ts").exited;
    expect(r.err).toBe("");
    expect(r.out).toBe(
      "read deadline: ErrDeadlineExceeded\nwrite deadline: write: i/o timeout\naborted read: TimeoutError\nthen read: still here\n",
    );
    expect(r.code).toBe(0);
  });

  test("watch_timerfd.ts: three ticks of a timerfd made through FFI, the fd left open", async () => {
    const r = await start("watch_timerfd.ts").exited;
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^tick 1 \(\d+ expirations?\) at \d+ ms\ntick 2 .*\ntick 3 .*\ntimerfd still open: true\n$/);
    expect(r.code).toBe(0);
  });

  test("poll_api.ts: Timeout, ready, Closing", async () => {
    const r = await start("poll_api.ts").exited;
    expect(r.err).toBe("");
    expect(r.out).toBe("nothing written: Timeout\nafter a write: ready\nafter pollUnblock: Closing\n");
    expect(r.code).toBe(0);
  });
});
