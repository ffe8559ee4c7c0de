// Echo server on this library's callback read (Conn.readEach + tryWrite):
// no promise per round trip, the shape of the Bun.listen server. Runs
// unchanged on Bun and on Deno (--allow-ffi). Prints "READY <port>" once
// listening on 127.0.0.1.
import { listen, type NetAddr } from "../../src/mod.ts";

const listener = listen({ hostname: "127.0.0.1", port: 0 });
console.log(`READY ${(listener.addr as NetAddr).port}`);
for await (const conn of listener) {
  conn.setNoDelay(true);
  const buf = new Uint8Array(64 * 1024);
  conn.readEach(buf, (n) => {
    const sent = conn.tryWrite(buf, n); // the first n bytes: no subarray per round trip
    // What the socket did not take goes out with write(); the next read waits for it, as buf is reused.
    if (sent < n) return conn.write(buf.subarray(sent, n));
  }).catch(() => {
    // the load generator hung up
  }).finally(() => {
    try {
      conn.close();
    } catch { /* already closed */ }
  });
}
