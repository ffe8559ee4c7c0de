/**
 * Starting a helper process on the same runtime as this one (Bun runs a
 * file; Deno needs `run` and the permissions the library uses), and reading
 * the one JSON line it prints last.
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";

const deno = typeof (globalThis as { Bun?: unknown }).Bun === "undefined";

/** argv for running `script` with `args` on this runtime. */
export function selfCommand(script: string, args: string[]): [string, string[]] {
  const path = new URL(script, import.meta.url).pathname;
  return deno
    ? [process.execPath, ["run", "--allow-ffi", "--allow-read", "--allow-env", path, ...args]]
    : [process.execPath, [path, ...args]];
}

/** Runs `script` to completion; resolves with its last stdout line parsed as JSON. Its stderr passes through. */
export function runChild<T>(script: string, args: string[], timeoutMs: number): Promise<T> {
  const [cmd, argv] = selfCommand(script, args);
  return new Promise<T>((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => (out += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const last = out.trim().split("\n").pop() ?? "";
      try {
        const v = JSON.parse(last) as T;
        if (code !== 0) reject(new Error(`${script} exited with ${code}: ${last}`));
        else resolve(v);
      } catch {
        reject(new Error(`${script} exited with ${code} and printed no result: ${out.slice(-500)}`));
      }
    });
  });
}
