// Deadlines and AbortSignal: a read that gives up, a write that gives up,
// and a read cancelled on its own. Self-contained: it runs a silent server.
//   bun examples/deadlines.ts   |   deno run --allow-ffi examples/deadlines.ts
import { connect, ErrDeadlineExceeded, listen, type NetAddr } from "netpoll";

const server = listen({ hostname: "127.0.0.1", port: 0 });
const conn = await connect({ hostname: "127.0.0.1", port: (server.addr as NetAddr).port });
const peer = await server.accept(); // accepts, never reads or writes

// 1. A read deadline: Go's semantics, a Date or epoch milliseconds.
conn.setReadDeadline(Date.now() + 50);
try {
  await conn.read(new Uint8Array(64));
} catch (e) {
  console.log(`read deadline: ${e instanceof ErrDeadlineExceeded ? "ErrDeadlineExceeded" : e}`);
}
conn.setReadDeadline(null); // cleared: reads wait again

// 2. A write deadline: 64 MiB to a peer that never reads fills the socket buffers.
conn.setWriteDeadline(Date.now() + 100);
try {
  await conn.write(new Uint8Array(64 * 1024 * 1024));
} catch (e) {
  console.log(`write deadline: ${(e as Error).message}`);
}

// 3. An AbortSignal cancels one read only; the conn stays usable.
try {
  await conn.read(new Uint8Array(64), { signal: AbortSignal.timeout(30) });
} catch (e) {
  console.log(`aborted read: ${(e as Error).name}`);
}
await peer.write(new TextEncoder().encode("still here"));
const buf = new Uint8Array(64);
const n = await conn.read(buf);
console.log(`then read: ${new TextDecoder().decode(buf.subarray(0, n!))}`);

conn.close();
peer.close();
server.close();
