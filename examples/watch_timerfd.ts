// A foreign descriptor: a Linux timerfd made through FFI, which neither Bun
// nor Deno can wait on by themselves. watch() waits on it; the fd stays yours.
//   bun examples/watch_timerfd.ts   |   deno run --allow-ffi examples/watch_timerfd.ts
import { watch } from "netpoll";
import { openLibc } from "./libc.ts";

const libc = await openLibc({
  timerfd_create: { args: ["i32", "i32"], ret: "i32" },
  timerfd_settime: { args: ["i32", "i32", "ptr", "ptr"], ret: "i32" },
  read: { args: ["i32", "ptr", "usize"], ret: "i32" },
  close: { args: ["i32"], ret: "i32" },
});
const CLOCK_MONOTONIC = 1;
const TFD_NONBLOCK = 0o4000;
const TFD_CLOEXEC = 0o2000000;
const tfd = libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
if (tfd < 0) throw new Error("timerfd_create failed");
// struct itimerspec { it_interval, it_value }: every 20 ms, first in 20 ms.
const spec = new BigInt64Array([0n, 20_000_000n, 0n, 20_000_000n]);
libc.timerfd_settime(tfd, 0, new Uint8Array(spec.buffer), null);

const w = watch(tfd);
const expirations = new BigUint64Array(1);
const t0 = performance.now();
for (let tick = 1; tick <= 3; tick++) {
  await w.waitReadable({ signal: AbortSignal.timeout(5_000) });
  libc.read(tfd, new Uint8Array(expirations.buffer), 8); // drain: edge-triggered
  console.log(
    `tick ${tick} (${expirations[0]} expiration${expirations[0] === 1n ? "" : "s"}) at ${
      Math.round(performance.now() - t0)
    } ms`,
  );
}
w.close(); // releases the registration only
console.log(`timerfd still open: ${libc.close(tfd) === 0}`);
