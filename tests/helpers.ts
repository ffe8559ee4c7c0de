// Test helpers: descriptors made through the same libc binding the library
// uses, and a child-process runner for the process-lifetime tests.
import { spawn } from "node:child_process";
import process from "node:process";
import { ErrnoError } from "../src/ffi/errors.ts";
import { errnoCell, ffi, libc, profile } from "../src/ffi/libc.ts";
import { epollSymbols } from "../src/ffi/symbols.ts";

/** "bun" or "deno". */
export const runtime: "bun" | "deno" = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

const { O_NONBLOCK, O_CLOEXEC, AF_UNIX, SOCK_STREAM, SOCK_NONBLOCK, SOCK_CLOEXEC } = profile.sock;

// errno is passed in, read in the caller's argument list right after the
// call: reading it inside this function would come after a function entry,
// where the engine may have overwritten it (see errnoCell in src/ffi/libc.ts).
function check(call: string, r: number, errno: number): number {
  if (r < 0) throw new ErrnoError(call, errno);
  return r;
}

/** A non-blocking pipe: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check("pipe2", libc.pipe2(fds, O_NONBLOCK | O_CLOEXEC), errnoCell[0]!);
  return [fds[0]!, fds[1]!];
}

/** A non-blocking Unix stream socketpair. */
export function socketpair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), errnoCell[0]!);
  return [fds[0]!, fds[1]!];
}

// eventfd from this process's libc (under a kernel model, through the
// model library's dependency on the real libc), whatever the backend.
const eventfdLibc = ffi.open(profile.libc, { eventfd: epollSymbols.eventfd });
const EFD_NONBLOCK = 0x800;
const EFD_CLOEXEC = 0x80000;

/** A non-blocking eventfd (Linux: every profile here, real or model, runs on it). */
export function eventfd(): number {
  return check("eventfd", eventfdLibc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), errnoCell[0]!);
}

/** Writes all of `bytes` (small writes to an empty pipe/socket never block). */
export function put(fd: number, bytes: Uint8Array | number[] = [1]): void {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (check("write", libc.write(fd, b, b.length), errnoCell[0]!) !== b.length) throw new Error("short write");
}

/** Adds 1 to an eventfd's counter. */
export function signal(efd: number): void {
  put(efd, new Uint8Array(new BigUint64Array([1n]).buffer));
}

/** Reads up to n bytes; returns them, or null on EAGAIN. */
export function take(fd: number, n = 4096): Uint8Array | null {
  const b = new Uint8Array(n);
  const r = libc.read(fd, b, n);
  if (r < 0) {
    const e = errnoCell[0]!;
    if (e === profile.errno.EAGAIN) return null;
    throw new ErrnoError("read", e);
  }
  return b.subarray(0, r);
}

/** Closes fds. */
export function closeAll(...fds: number[]): void {
  for (const fd of fds) check("close", libc.close(fd), errnoCell[0]!);
}

/** Opens a regular file read-only (for the "not pollable" cases). */
export function openRegularFile(path: string): number {
  return check("open", libc.open(new TextEncoder().encode(`${path}\0`), O_CLOEXEC), errnoCell[0]!);
}

/** Runs a fixture script under the current runtime; resolves with its exit code, output and wall time. */
export function runFixture(
  name: string,
  timeoutMs = 15_000,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const script = new URL(`./fixtures/${name}`, import.meta.url).pathname;
  const args = runtime === "bun" ? [script] : ["run", "--allow-ffi", script];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`fixture ${name} still running after ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}
