// Library bytes per idle connection: what one accepted Conn with a parked
// read costs the server's JS heap, apart from the application's read buffer
// (all reads here share one; the echo server's RSS figure in bench/run.ts
// includes its own 64 KiB buffers and the runtime's allocator). The client
// ends are raw sockets made through libc in a child process, so they cost
// this heap nothing. Prints one JSON line.
// With --readEach, each connection runs a Conn.readEach loop instead.
// Run (each process needs --n descriptors and a few; the default is 10,000):
//   sh -c 'ulimit -n 16384; exec npx bun bench/idle.ts [--readEach]'
//   sh -c 'ulimit -n 16384; exec npx deno run -A --v8-flags=--expose-gc bench/idle.ts [--readEach]'
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { errnoCell, libc, profile } from "../src/ffi/libc.ts";
import { type Conn, listen, type NetAddr } from "../src/mod.ts";
import { parseIPv4 } from "../src/net/ip.ts";
import { encodeInet } from "../src/net/sockaddr.ts";
import { closeRaw, newSocket } from "../src/net/socket.ts";

const n = Number(process.argv.find((a) => a.startsWith("--n="))?.slice(4) ?? 10_000);
if (!Number.isInteger(n) || n < 1) throw new RangeError(`idle: --n must be a positive integer, got ${n}`);

const gc: () => void = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun
  ? () => (globalThis as unknown as { Bun: { gc(full: boolean): void } }).Bun.gc(true)
  : (globalThis as { gc?: () => void }).gc ??
    (() => {
      throw new Error("idle: run Deno with --v8-flags=--expose-gc so the heap can be measured after a collection");
    });

/** JS heap in use after a full collection, plus array-buffer memory outside it. */
function heapBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + (m.arrayBuffers ?? 0);
}

/** The client side, in a child process (each side then needs only n descriptors): n raw sockets, connected. */
async function clients(port: number): Promise<void> {
  const sa = encodeInet(parseIPv4("127.0.0.1")!, port);
  const raw: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = newSocket("idle", profile.sock.AF_INET);
    raw.push(s);
    // Non-blocking: EINPROGRESS, and the loopback handshake completes at once.
    if (libc.connect(s, sa, sa.length) < 0 && errnoCell[0] !== profile.errno.EINPROGRESS) {
      throw new Error(`idle: connect failed with errno ${errnoCell[0]} after ${i} connections`);
    }
  }
  console.log("CONNECTED");
  // Hold them until the parent closes stdin.
  for await (const _ of process.stdin) { /* nothing is sent */ }
  for (const s of raw) closeRaw(s);
}

const clientPort = process.argv.find((a) => a.startsWith("--client="))?.slice(9);
if (clientPort !== undefined) {
  await clients(Number(clientPort));
  process.exit(0);
}

const l = listen({ hostname: "127.0.0.1", port: 0 });
const port = (l.addr as NetAddr).port;
const shared = new Uint8Array(1);
const eachLoop = process.argv.includes("--readEach");
const ignore = (): void => {}; // one onData for every loop, so the app adds no closure per conn
const conns: Conn[] = [];
const reads: Promise<unknown>[] = [];

/** Starts a client process with `count` connections and accepts them, each with a read parked on the shared buffer. */
async function open(count: number): Promise<ChildProcess> {
  const self = fileURLToPath(import.meta.url);
  const args = typeof (globalThis as { Deno?: unknown }).Deno === "object"
    ? ["run", "--allow-ffi", "--allow-read", self]
    : [self];
  const child = spawn(process.execPath, [...args, `--n=${count}`, `--client=${port}`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  for (let i = 0; i < count; i++) {
    const c = await l.accept();
    conns.push(c);
    // Handled in closeAll, so the app adds no closure per conn.
    reads.push(eachLoop ? c.readEach(shared, ignore) : c.read(shared));
  }
  return child;
}

async function closeAll(child: ChildProcess): Promise<void> {
  const ended = reads.map((r) => r.catch(() => null)); // before close: the reads then reject ErrClosing
  for (const c of conns) c.close();
  await Promise.all(ended);
  conns.length = 0;
  reads.length = 0;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin!.end();
  await exited;
}

// Warm-up: the code is compiled and the slot table has grown once before measuring.
await closeAll(await open(Math.min(n, 1000)));

const before = heapBytes();
const child = await open(n);
const after = heapBytes();
const perConn = (after - before) / n;
await closeAll(child);
l.close();
console.log(
  JSON.stringify({
    n,
    parked: eachLoop ? "readEach" : "read",
    bytesPerConn: Math.round(perConn),
    heapBefore: before,
    heapAfter: after,
  }),
);
