// Echo server on Bun.listen, idiomatic: write what arrives, queue what the
// socket did not take, flush the queue on drain.
// Prints "READY <port>" once listening on 127.0.0.1.
type State = { pending: Uint8Array[] };

const server = Bun.listen<State>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.data = { pending: [] };
      s.setNoDelay(true);
    },
    data(s, chunk) {
      if (s.data.pending.length > 0) {
        s.data.pending.push(new Uint8Array(chunk));
        return;
      }
      const n = s.write(chunk);
      if (n < chunk.length) s.data.pending.push(new Uint8Array(chunk.subarray(n < 0 ? 0 : n)));
    },
    drain(s) {
      const q = s.data.pending;
      while (q.length > 0) {
        const head = q[0]!;
        const n = s.write(head);
        if (n < head.length) {
          q[0] = head.subarray(n < 0 ? 0 : n);
          return;
        }
        q.shift();
      }
    },
  },
});
console.log(`READY ${server.port}`);

export {};
