// What Node gets when it imports this package: netpoll calls libc through
// the runtime's FFI, and Node has none. Bun and Deno resolve "." to src/mod.ts.
throw new Error(
  "netpoll runs on Bun (>= 1.1) and Deno (>= 2, with --allow-ffi): it calls libc through their FFI, " +
    "which Node does not have. Run this program with `bun` or `deno run --allow-ffi`.",
);
