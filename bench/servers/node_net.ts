// Echo server on node:net (run by Bun or by Deno), idiomatic: socket.pipe(socket).
// Prints "READY <port>" once listening on 127.0.0.1.
import net from "node:net";

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => socket.destroy());
  socket.pipe(socket);
});
server.listen(0, "127.0.0.1", () => {
  const a = server.address() as net.AddressInfo;
  console.log(`READY ${a.port}`);
});
