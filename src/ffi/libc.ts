/**
 * The bound libc for this process's main thread: detects the runtime, loads
 * its binder, binds the symbol groups the profile needs and caches the errno
 * cell. Importing this module on a runtime without FFI fails with a clear error.
 *
 * @module
 */
import { setErrnoNames } from "./errors.ts";
import { currentProfile, type Profile } from "./profile.ts";
import {
  commonSymbols,
  epollPwait2Symbols,
  epollSymbols,
  type KeventSpec,
  keventSpec,
  kqueueSymbols,
  portsSymbols,
  socketSymbols,
} from "./symbols.ts";
import type { Bound, BoundFn, RuntimeFFI } from "./types.ts";

async function loadRuntimeFFI(): Promise<RuntimeFFI> {
  const g = globalThis as { Bun?: unknown; Deno?: { dlopen?: unknown } };
  if (g.Bun !== undefined) return (await import("./bind_bun.ts")).bunFFI;
  if (typeof g.Deno?.dlopen === "function") return (await import("./bind_deno.ts")).denoFFI;
  throw new Error(
    "netpoll: this runtime has no FFI. netpoll runs on Bun (>= 1.1) and on Deno (>= 2, with --allow-ffi).",
  );
}

/** The runtime's FFI binder. */
export const ffi: RuntimeFFI = await loadRuntimeFFI();

/** The platform profile in force. */
export const profile: Profile = currentProfile();
setErrnoNames(profile.errno);

function open<T extends Parameters<RuntimeFFI["open"]>[1]>(table: T): Bound<T> {
  try {
    return ffi.open(profile.libc, table);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const hint = ffi.runtime === "deno" && /ffi|permission|capab/i.test(why) ? " (Deno needs --allow-ffi)" : "";
    throw new Error(`netpoll: cannot bind ${profile.libc}${hint}: ${why}`, { cause: e });
  }
}

/** Calls available on every supported OS. */
export const libc: Bound<typeof commonSymbols & typeof socketSymbols> = open({
  ...commonSymbols,
  ...socketSymbols,
});

/** epoll calls; bound only on a profile whose backend is epoll. */
export const epollLibc: Bound<typeof epollSymbols> | undefined = profile.backend === "epoll"
  ? open(epollSymbols)
  : undefined;

/** kqueue, fcntl and kevent (bound from the profile's symbol name, e.g. NetBSD's `__kevent50`); on a kqueue profile only. */
export const kqueueLibc: (Bound<typeof kqueueSymbols> & { readonly kevent: BoundFn<KeventSpec> }) | undefined = (() => {
  const kq = profile.kqueue;
  if (kq === undefined) return undefined;
  const base = open(kqueueSymbols);
  const kevent = open({ [kq.keventSymbol]: keventSpec(kq.countType) })[kq.keventSymbol]!;
  return { ...base, kevent };
})();

/** Event ports and fcntl; on a ports profile only. */
export const portsLibc: Bound<typeof portsSymbols> | undefined = profile.ports === undefined
  ? undefined
  : open(portsSymbols);

/** epoll_pwait2, where this libc has it (glibc >= 2.35); the kernel may still say ENOSYS. */
export const epollPwait2Libc: Bound<typeof epollPwait2Symbols> | undefined = (() => {
  if (profile.backend !== "epoll") return undefined;
  try {
    return ffi.open(profile.libc, epollPwait2Symbols);
  } catch {
    return undefined;
  }
})();

const errnoAccessor = open({ [profile.errnoSymbol]: { args: [], ret: "ptr" } } as const);
const errnoCellPtr = errnoAccessor[profile.errnoSymbol]!();
if (errnoCellPtr === null) throw new Error(`netpoll: ${profile.errnoSymbol}() returned NULL`);
/**
 * The main thread's errno, as a one-element view over libc's per-thread cell
 * (the accessor's result is stable for the thread's life; a read is ~5 ns).
 *
 * Read `errnoCell[0]` inline, in the same function, directly after the
 * failing call. Not through a helper: a JS function entry is a point where
 * the engine may run its own work on this thread (tier-up compilation, GC),
 * and that work makes libc calls that overwrite errno. Measured on Deno 2.9.6:
 * through a helper, 3 runs in 12 of 200,000 failing reads saw ENOENT or
 * EAGAIN instead of EBADF; inline, 0 in 1.2 million (tests/platform.test.ts
 * keeps checking the inline pattern).
 */
export const errnoCell: Int32Array = ffi.int32At(errnoCellPtr);
