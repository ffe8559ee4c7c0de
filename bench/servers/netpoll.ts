// Echo server on this library; runs unchanged on Bun and on Deno (--allow-ffi).
// Prints "READY <port>" once listening on 127.0.0.1.
import { listen, type NetAddr } from "../../src/mod.ts";

const listener = listen({ hostname: "127.0.0.1", port: 0 });
console.log(`READY ${(listener.addr as NetAddr).port}`);
for await (const conn of listener) {
  conn.setNoDelay(true);
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) await conn.write(buf.subarray(0, n));
    } catch {
      // the load generator hung up
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  })();
}
