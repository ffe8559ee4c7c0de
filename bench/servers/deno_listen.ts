// Echo server on Deno.listen, idiomatic: a read/write loop per connection.
// Prints "READY <port>" once listening on 127.0.0.1.
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(`READY ${(listener.addr as Deno.NetAddr).port}`);
for await (const conn of listener) {
  conn.setNoDelay(true);
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        let off = 0;
        while (off < n) off += await conn.write(buf.subarray(off, n));
      }
    } catch {
      // the load generator hung up
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  })();
}

export {};
