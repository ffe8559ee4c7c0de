// Go's runtime poll API on a pipe: the level to build your own I/O on.
//   bun examples/poll_api.ts   |   deno run --allow-ffi examples/poll_api.ts
import { pollClose, PollCode, pollOpen, pollSetDeadline, pollUnblock, pollWait } from "netpoll";
import { openLibc } from "./libc.ts";

const libc = await openLibc({
  pipe2: { args: ["ptr", "i32"], ret: "i32" },
  write: { args: ["i32", "ptr", "usize"], ret: "i32" },
  close: { args: ["i32"], ret: "i32" },
});
const O_NONBLOCK = 0o4000;
const fds = new Int32Array(2);
libc.pipe2(new Uint8Array(fds.buffer), O_NONBLOCK);
const [r, w] = [fds[0]!, fds[1]!];

const pd = pollOpen(r);
pollSetDeadline(pd, 20e6, "r"); // 20 ms, in nanoseconds
console.log(`nothing written: ${(await pollWait(pd, "r")) === PollCode.Timeout ? "Timeout" : "?"}`);

pollSetDeadline(pd, 0, "r"); // no deadline
const waiting = pollWait(pd, "r");
libc.write(w, new Uint8Array([1]), 1);
console.log(`after a write: ${(await waiting) === PollCode.None ? "ready" : "?"}`);

const parked = pollWait(pd, "r"); // nothing more to read: parks
pollUnblock(pd);
console.log(`after pollUnblock: ${(await parked) === PollCode.Closing ? "Closing" : "?"}`);
pollClose(pd);
libc.close(r);
libc.close(w);
