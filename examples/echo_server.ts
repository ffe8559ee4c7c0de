// An echo server: the first program. Runs on Bun and on Deno.
//   bun examples/echo_server.ts [port]
//   deno run --allow-ffi examples/echo_server.ts [port]
// Try it: printf 'hello\n' | nc 127.0.0.1 8080
import process from "node:process";
import { ErrDeadlineExceeded, listen, type NetAddr } from "netpoll";

const port = Number(process.argv[2] ?? 8080);
const listener = listen({ hostname: "127.0.0.1", port });
console.log(`listening on 127.0.0.1:${(listener.addr as NetAddr).port}`);

for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        conn.setReadDeadline(Date.now() + 30_000); // drop connections idle for 30 s
        const n = await conn.read(buf);
        if (n === null) break; // the client closed its side
        await conn.write(buf.subarray(0, n));
      }
    } catch (e) {
      if (!(e instanceof ErrDeadlineExceeded)) console.error(e);
    } finally {
      conn.close();
    }
  })();
}
